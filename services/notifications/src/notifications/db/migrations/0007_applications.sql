-- Who applied (from awards.application.submitted): later application events name only the
-- application, and the operator of an enterprise applicant hears its outcome.
CREATE TABLE applications (
    application_id text        PRIMARY KEY,
    programme_id   text        NOT NULL,
    year           integer     NOT NULL,
    category       text        NOT NULL,
    entity_type    text        NOT NULL,
    entity_id      text        NOT NULL,
    region_code    char(6)     NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
