-- Import jobs belong to their creator and are filed under the creator's region, so the
-- administration over that region sees them and nobody else does (shared/auth/scope.py).
-- Jobs created before this change have no region: only their creator sees them.
ALTER TABLE import_jobs ADD COLUMN region_code text;
CREATE INDEX import_jobs_region ON import_jobs (region_code text_pattern_ops, created_at DESC);

-- The same file uploaded by another caller is that caller's own job.
DROP INDEX import_jobs_once;
CREATE UNIQUE INDEX import_jobs_once ON import_jobs (kind, file_sha256, created_by)
    WHERE mode <> 'dry_run' AND status = 'succeeded';
