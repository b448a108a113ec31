-- Import jobs: a heartbeat (a job whose process died is reported as interrupted), whether the
-- rows were committed, how many errors were found in all (the stored list is capped), the
-- estimated row count for progress, and 'rejected' for an all-or-nothing run with bad rows.
ALTER TABLE import_jobs
    ADD COLUMN heartbeat_at   timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN committed      boolean     NOT NULL DEFAULT false,
    ADD COLUMN errors_total   integer     NOT NULL DEFAULT 0,
    ADD COLUMN failure        text;
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_status_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_status_check
    CHECK (status IN ('running', 'succeeded', 'rejected', 'failed'));
CREATE INDEX import_jobs_file ON import_jobs (kind, file_sha256) WHERE mode <> 'dry_run';
