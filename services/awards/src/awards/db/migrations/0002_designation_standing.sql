-- Dynamic management (004 三(三)): each designation's yearly standing, and the facts of the
-- annual report that awards keeps from the submissions service's events (its own read model:
-- awards never reads the submissions tables).

-- One row per designation and window year, from submissions.report.* events.
CREATE TABLE annual_reports (
    designation_id      text        NOT NULL,
    window_id           text        NOT NULL,
    year                int         NOT NULL,
    report_id           text        NOT NULL,
    first_submitted_at  timestamptz,
    accepted_version    int,
    accepted_figures    jsonb,
    accepted_at         timestamptz,
    PRIMARY KEY (designation_id, window_id)
);

-- The standing history: one row per decision, numbered by the designation's workflow (a
-- retried activity finds its row). ``decided_by`` is the person, or 'awards' for the clock.
CREATE TABLE designation_standing (
    designation_id  uuid        NOT NULL REFERENCES designations (id),
    seq             int         NOT NULL,
    year            int         NOT NULL,
    standing        text        NOT NULL CHECK (standing IN ('good_standing', 'warning', 'revoked')),
    step            text        NOT NULL,
    reason          text        NOT NULL,
    evidence        jsonb       NOT NULL DEFAULT '{}',
    legal_basis     text,
    rectify_by      date,
    decided_by      text        NOT NULL,
    decided_at      timestamptz NOT NULL,
    PRIMARY KEY (designation_id, seq)
);
CREATE INDEX designation_standing_year ON designation_standing (year, designation_id);

ALTER TABLE designations
    ADD COLUMN standing text NOT NULL DEFAULT 'good_standing',
    ADD COLUMN standing_year int,
    ADD COLUMN standing_seq int NOT NULL DEFAULT 0;
