-- Submissions: reporting windows, the frozen roster and its changes, reports with immutable
-- versions and review steps, extensions, lock exceptions, attachments, and the deadline
-- clock's handled points. docs/submissions.md explains each rule.

-- Designations in force, kept from awards.designation.granted|revoked (the roster's source).
CREATE TABLE designations (
    designation_id  text        PRIMARY KEY,
    programme_id    text        NOT NULL,
    category        text        NOT NULL,
    entity_type     text        NOT NULL,
    entity_id       text        NOT NULL,
    region_code     text        NOT NULL CHECK (region_code ~ '^\d{6}$'),
    designated_on   date,
    revoked_on      date,
    revoke_reason   text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX designations_in_force ON designations (programme_id, category)
    WHERE revoked_on IS NULL AND designated_on IS NOT NULL;

-- One row per programme, reporting window and year; id is "<programme>.<window>.<year>".
CREATE TABLE windows (
    id              text        PRIMARY KEY,
    programme_id    text        NOT NULL,
    window_slug     text        NOT NULL,
    year            int         NOT NULL,
    status          text        NOT NULL CHECK (status IN ('open', 'locked')),
    opens_at        timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    grace_until     timestamptz NOT NULL,
    locks_at        timestamptz NOT NULL,
    opened_at       timestamptz NOT NULL,
    opened_by       text        NOT NULL,
    locked_at       timestamptz,
    UNIQUE (programme_id, window_slug, year)
);

CREATE TABLE roster_entries (
    window_id       text        NOT NULL REFERENCES windows (id),
    designation_id  text        NOT NULL,
    entity_type     text        NOT NULL,
    entity_id       text        NOT NULL,
    category        text        NOT NULL,
    region_code     text        NOT NULL,
    city_code       text        NOT NULL,
    county_code     text,
    due_at          timestamptz NOT NULL,
    expected_from   timestamptz NOT NULL,
    expected_until  timestamptz,
    PRIMARY KEY (window_id, designation_id)
);
CREATE INDEX roster_entries_city ON roster_entries (window_id, city_code);

-- Every change to a roster, never updated: the denominator explained line by line.
CREATE TABLE roster_changes (
    id              bigserial   PRIMARY KEY,
    window_id       text        NOT NULL REFERENCES windows (id),
    designation_id  text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('frozen', 'added', 'removed')),
    at              timestamptz NOT NULL,
    due_at          timestamptz,
    reason          text,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX roster_changes_window ON roster_changes (window_id, id);

CREATE TABLE reports (
    id                  uuid        PRIMARY KEY,
    window_id           text        NOT NULL REFERENCES windows (id),
    designation_id      text        NOT NULL,
    entity_id           text        NOT NULL,
    region_code         text        NOT NULL,
    city_code           text        NOT NULL,
    state               text        NOT NULL,
    revision            int         NOT NULL DEFAULT 1,  -- the ETag: one more per step
    first_submitted_at  timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (window_id, designation_id)
);
CREATE INDEX reports_window_city ON reports (window_id, city_code, designation_id);

CREATE TABLE report_versions (
    report_id       uuid        NOT NULL REFERENCES reports (id),
    number          int         NOT NULL,
    submitted_at    timestamptz NOT NULL,
    submitted_by    text        NOT NULL,
    submitted_role  text        NOT NULL,
    on_behalf       boolean     NOT NULL,
    figures         jsonb       NOT NULL,
    explanations    jsonb       NOT NULL DEFAULT '{}',
    warnings        jsonb       NOT NULL DEFAULT '[]',
    PRIMARY KEY (report_id, number)
);

-- Versions are immutable: the database refuses to change or delete one.
CREATE FUNCTION report_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'report versions are immutable';
END;
$$;
CREATE TRIGGER report_versions_immutable BEFORE UPDATE OR DELETE ON report_versions
    FOR EACH ROW EXECUTE FUNCTION report_versions_immutable();

CREATE TABLE review_steps (
    id              bigserial   PRIMARY KEY,
    report_id       uuid        NOT NULL REFERENCES reports (id),
    action          text        NOT NULL,
    actor           text        NOT NULL,
    actor_role      text        NOT NULL,
    at              timestamptz NOT NULL,
    from_state      text        NOT NULL,
    to_state        text        NOT NULL,
    version         int         NOT NULL,
    reason          text,
    field_comments  jsonb       NOT NULL DEFAULT '{}',
    on_behalf       boolean     NOT NULL DEFAULT false
);
CREATE INDEX review_steps_report ON review_steps (report_id, id);

CREATE TABLE extensions (
    id                uuid        PRIMARY KEY,
    window_id         text        NOT NULL REFERENCES windows (id),
    designation_id    text        NOT NULL,
    city_code         text        NOT NULL,
    requested_by      text        NOT NULL,
    requested_role    text        NOT NULL,
    requested_at      timestamptz NOT NULL,
    reason            text        NOT NULL,
    requested_due_at  timestamptz,
    status            text        NOT NULL CHECK (status IN ('requested', 'granted', 'refused')),
    decided_by        text,
    decided_at        timestamptz,
    decision_reason   text,
    new_due_at        timestamptz
);
CREATE INDEX extensions_window ON extensions (window_id, designation_id);

-- The province reopened a locked window for one reporter until ends_at (expires by itself).
CREATE TABLE lock_exceptions (
    id              uuid        PRIMARY KEY,
    window_id       text        NOT NULL REFERENCES windows (id),
    designation_id  text        NOT NULL,
    granted_by      text        NOT NULL,
    reason          text        NOT NULL,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL CHECK (ends_at > starts_at)
);
CREATE INDEX lock_exceptions_window ON lock_exceptions (window_id, designation_id);

-- Attachments are content-addressed: the same bytes are stored once.
CREATE TABLE attachment_blobs (
    sha256          text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type    text        NOT NULL,
    size_bytes      int         NOT NULL,
    content         bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE report_attachments (
    report_id       uuid        NOT NULL REFERENCES reports (id),
    sha256          text        NOT NULL REFERENCES attachment_blobs (sha256),
    filename        text        NOT NULL,
    added_by        text        NOT NULL,
    added_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, sha256)
);

-- The deadline clock's handled points: the primary key makes each point happen once.
CREATE TABLE clock_points (
    window_id       text        NOT NULL REFERENCES windows (id),
    point_key       text        NOT NULL,
    outcome         text        NOT NULL CHECK (outcome IN ('emitted', 'skipped')),
    point_at        timestamptz NOT NULL,
    late            boolean     NOT NULL DEFAULT false,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (window_id, point_key)
);
