-- Awards: applications and their review (004 三(二)2), designations, and the facts awards keeps
-- from other systems (registry entities from registry events; credit records from integrators).

-- Registry facts, from registry events only (awards never reads the registry's tables).
CREATE TABLE registry_entities (
    entity_type          text        NOT NULL,
    entity_id            text        NOT NULL,
    name                 text        NOT NULL,
    region_code          char(6)     NOT NULL,
    park_kind            text,
    owner_enterprise_id  text,
    closed               boolean     NOT NULL DEFAULT false,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity_type, entity_id)
);

CREATE TABLE registry_residents (
    residence_id   text PRIMARY KEY,
    park_id        text NOT NULL,
    enterprise_id  text NOT NULL,
    joined_on      date NOT NULL,
    left_on        date
);
CREATE INDEX registry_residents_park ON registry_residents (park_id);

-- 失信联合惩戒 (001/002): records from credit platforms, by REST or the credit.record topic.
CREATE TABLE credit_records (
    record_id        text        PRIMARY KEY,
    entity_id        text        NOT NULL,
    kind             text        NOT NULL,
    valid_from       date        NOT NULL,
    valid_to         date,
    source_document  text        NOT NULL,
    reported_by      text,
    received_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX credit_records_entity ON credit_records (entity_id);

-- The pool of expert reviewers (评审专家).
CREATE TABLE experts (
    expert_id           text    PRIMARY KEY,
    name                text    NOT NULL,
    region_code         char(6) NOT NULL,
    declared_relations  text[]  NOT NULL DEFAULT '{}',
    active              boolean NOT NULL DEFAULT true
);

-- A year's working-day calendar loaded as data, for years chinesecalendar lacks or to correct it.
CREATE TABLE calendar_days (
    day   date PRIMARY KEY,
    kind  text NOT NULL CHECK (kind IN ('holiday', 'workday'))
);
-- IF NOT EXISTS: the shared migration 0005 (applied first on a new database) makes this table
-- for every service since the registry owns the calendar; migration 0008 moves these days there.
CREATE TABLE IF NOT EXISTS calendar_years (
    year       int         PRIMARY KEY,
    loaded_by  text        NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);

-- The read model of each application's workflow, written by its activities.
CREATE TABLE applications (
    id                   uuid        PRIMARY KEY,
    workflow_id          text        NOT NULL UNIQUE,
    programme_id         text        NOT NULL,
    year                 int         NOT NULL,
    category             text        NOT NULL,
    entity_type          text        NOT NULL,
    entity_id            text        NOT NULL,
    entity_name          text        NOT NULL,
    region_code          char(6)     NOT NULL,
    owner_enterprise_id  text,
    stage                text        NOT NULL,
    waiting_on           text,
    materials            jsonb       NOT NULL DEFAULT '{}',
    city_rank            int,
    score                numeric(6, 2),
    passed               boolean,
    notice_last_day      date,
    submitted_by         text        NOT NULL,
    submitted_at         timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    last_seq             int         NOT NULL DEFAULT 0,
    UNIQUE (programme_id, year, category, entity_type, entity_id)
);
CREATE INDEX applications_waiting ON applications (waiting_on, region_code);

-- The timeline: one row per step, numbered by the workflow, so a retried activity is harmless.
CREATE TABLE application_steps (
    application_id  uuid        NOT NULL REFERENCES applications (id),
    seq             int         NOT NULL,
    step            text        NOT NULL,
    stage_after     text        NOT NULL,
    actor           text        NOT NULL,
    role            text,
    reason          text,
    detail          jsonb       NOT NULL DEFAULT '{}',
    at              timestamptz NOT NULL,
    PRIMARY KEY (application_id, seq)
);

CREATE TABLE application_panel (
    application_id  uuid    NOT NULL REFERENCES applications (id),
    expert_id       text    NOT NULL,
    seated          boolean NOT NULL DEFAULT true,
    scored          boolean NOT NULL DEFAULT false,
    conflict        text,
    PRIMARY KEY (application_id, expert_id)
);
CREATE INDEX application_panel_expert ON application_panel (expert_id) WHERE seated AND NOT scored;

CREATE TABLE designations (
    id                        uuid        PRIMARY KEY,
    application_id            uuid        NOT NULL UNIQUE REFERENCES applications (id),
    programme_id              text        NOT NULL,
    year                      int         NOT NULL,
    category                  text        NOT NULL,
    entity_type               text        NOT NULL,
    entity_id                 text        NOT NULL,
    entity_name               text        NOT NULL,
    region_code               char(6)     NOT NULL,
    title                     text        NOT NULL,
    designated_on             date        NOT NULL,
    legal_basis               text        NOT NULL,
    recommended_for_national  boolean     NOT NULL,
    status                    text        NOT NULL DEFAULT 'designated',
    created_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX designations_list ON designations (region_code, category, year, status);
