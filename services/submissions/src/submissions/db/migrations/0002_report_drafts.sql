-- Drafts: a reporter (or its city bureau) saves an incomplete report and submits it later
-- ("draft → submitted", docs/submissions.md). A draft is no version: it is replaced on each save, counts in
-- no completeness figure, and is deleted by the submission that follows it, in its transaction.
CREATE TABLE report_drafts (
    window_id       text        NOT NULL REFERENCES windows (id),
    designation_id  text        NOT NULL,
    figures         jsonb       NOT NULL,
    explanations    jsonb       NOT NULL DEFAULT '{}',
    saved_by        text        NOT NULL,
    saved_role      text        NOT NULL,
    saved_at        timestamptz NOT NULL,
    revision        int         NOT NULL DEFAULT 1,
    PRIMARY KEY (window_id, designation_id)
);
