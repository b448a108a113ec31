-- Import jobs run in their own process role (``python -m registry importer``), not in the API:
-- the API stores the uploaded file in the database (the one store both kinds of pod share) and
-- queues the job; an importer claims it (FOR UPDATE SKIP LOCKED) and holds it by a lease, the
-- heartbeat. A job whose heartbeat lapsed is claimed again and restarts from its first row (its
-- rows load in one transaction, which died with the process that held it).
--
-- caller   the uploading caller's roles, region and grants: where its rows may be written
-- attempt  claims so far; it fences every update of a claim, so that an importer that lost its
--          lease can neither report progress nor commit
-- lapsed   claims that ended because their importer stopped (too many: the job fails)
ALTER TABLE import_jobs DROP CONSTRAINT import_jobs_status_check;
ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'rejected', 'failed'));
ALTER TABLE import_jobs
    ADD COLUMN caller     jsonb       NOT NULL DEFAULT '{}',
    ADD COLUMN attempt    integer     NOT NULL DEFAULT 0,
    ADD COLUMN lapsed     integer     NOT NULL DEFAULT 0,
    ADD COLUMN claimed_by text,
    ADD COLUMN started_at timestamptz;
CREATE INDEX import_jobs_claimable ON import_jobs (created_at) WHERE status IN ('queued', 'running');

-- The uploaded file in parts of up to 1 MiB (bytea values stream in and out in pieces; no large
-- object to clean up), deleted when the job ends.
CREATE TABLE import_files (
    job_id  uuid    NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    part    integer NOT NULL,
    content bytea   NOT NULL,
    PRIMARY KEY (job_id, part)
);

-- An ended job stays as it ended: whatever code path runs late (a stalled importer, an old
-- API process), "failed" never becomes "succeeded".
CREATE FUNCTION import_job_end_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('succeeded', 'rejected', 'failed') AND NEW.status <> OLD.status THEN
        RAISE EXCEPTION 'import job % ended %; it cannot become %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER import_job_end_is_final BEFORE UPDATE OF status ON import_jobs
    FOR EACH ROW EXECUTE FUNCTION import_job_end_is_final();
