-- Registry: enterprises and the change history of every registry entity.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE enterprises (
    id               uuid        PRIMARY KEY,
    credit_code      text        NOT NULL,
    -- Audited exception for a legacy code that fails the GB 32100 check: who, when, why.
    credit_code_override jsonb,
    name             text        NOT NULL,
    region_code      char(6)     NOT NULL,
    kinds            text[]      NOT NULL DEFAULT '{}',
    contact_phone    text,
    contact_email    text,
    status           text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    version          integer     NOT NULL DEFAULT 1,
    created_by       text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT enterprises_credit_code_unique UNIQUE (credit_code)
);
CREATE INDEX enterprises_region ON enterprises (region_code);
CREATE INDEX enterprises_name_trgm ON enterprises USING gin (name gin_trgm_ops);

CREATE TABLE entity_changes (
    id           bigserial   PRIMARY KEY,
    entity_type  text        NOT NULL,
    entity_id    uuid        NOT NULL,
    version      integer     NOT NULL,
    action       text        NOT NULL,
    changed_by   text        NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    old_values   jsonb,
    new_values   jsonb
);
CREATE INDEX entity_changes_entity ON entity_changes (entity_type, entity_id, id);
