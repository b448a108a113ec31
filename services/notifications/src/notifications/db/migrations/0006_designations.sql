-- Which entity and region a designation names (from awards.designation events): extension
-- events name only the designation, and their notices go to its operator and city bureau.
CREATE TABLE designations (
    designation_id text        PRIMARY KEY,
    entity_type    text        NOT NULL,
    entity_id      text        NOT NULL,
    region_code    char(6)     NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
