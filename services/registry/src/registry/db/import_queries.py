"""SQL of bulk imports: set-based loads (one statement per batch of rows) and import jobs."""

# Rows already present (same credit code; same platform and shop id; same residence) are
# skipped, not changed: loading the same file twice loads nothing new.
INSERT_ENTERPRISES = """
INSERT INTO enterprises (id, credit_code, name, region_code, kinds, contact_phone, contact_email, created_by)
SELECT v.id, v.credit_code, v.name, v.region_code, COALESCE(string_to_array(NULLIF(v.kinds, ''), ','), '{}'), v.phone,
       v.email, $8
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
     AS v (id, credit_code, name, region_code, kinds, phone, email)
ON CONFLICT (credit_code) DO NOTHING
RETURNING id, credit_code, name, region_code, kinds, contact_phone, contact_email
"""
INSERT_STORES = """
INSERT INTO stores (id, platform, platform_shop_id, name, owner_enterprise_id, owner_individual,
                    region_code, category, opened_on, closed_on, status, created_by)
SELECT v.*, CASE WHEN v.closed_on IS NULL THEN 'active' ELSE 'closed' END, $11
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[],
            $8::text[], $9::date[], $10::date[])
     AS v (id, platform, platform_shop_id, name, owner, individual, region_code, category, opened_on, closed_on)
ON CONFLICT (platform, platform_shop_id) DO NOTHING
RETURNING id, platform, platform_shop_id, name, owner_enterprise_id, owner_individual, region_code,
          category, opened_on, closed_on
"""
INSERT_RESIDENTS = """
INSERT INTO park_residents (id, park_id, enterprise_id, joined_on, left_on, created_by)
SELECT v.*, $6 FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::date[])
     AS v (id, park_id, enterprise_id, joined_on, left_on)
WHERE NOT EXISTS (SELECT 1 FROM park_residents r WHERE r.park_id = v.park_id
                  AND r.enterprise_id = v.enterprise_id AND r.joined_on = v.joined_on)
ON CONFLICT DO NOTHING
RETURNING id, park_id, enterprise_id, joined_on, left_on
"""
ENTERPRISE_IDS = "SELECT credit_code, id FROM enterprises WHERE credit_code = ANY($1::text[])"
PARK_REGIONS = "SELECT id, region_code FROM parks WHERE id = ANY($1::uuid[])"
INSERT_HISTORY = """
INSERT INTO entity_changes (entity_type, entity_id, version, action, changed_by, new_values)
SELECT $1, v.id, 1, 'imported', $2, v.new_values::jsonb
FROM unnest($3::uuid[], $4::text[]) AS v (id, new_values)
"""

# --- jobs -------------------------------------------------------------------------------------

LOCK_FILE = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
EARLIER_RUN = """
SELECT * FROM import_jobs
WHERE kind = $1 AND file_sha256 = $2 AND mode <> 'dry_run'
  AND (status = 'succeeded' OR (status = 'running' AND heartbeat_at > now() - $3::interval))
ORDER BY created_at DESC LIMIT 1
"""
INSERT_JOB = """
INSERT INTO import_jobs (id, kind, file_sha256, file_name, mode, status, total_rows, created_by)
VALUES ($1, $2, $3, $4, $5, 'running', $6, $7) RETURNING *
"""
JOB = "SELECT * FROM import_jobs WHERE id = $1"
PROGRESS = """
UPDATE import_jobs SET processed_rows = $2, loaded_rows = $3, skipped_rows = $4, error_rows = $5,
       errors_total = $6, heartbeat_at = now()
WHERE id = $1
"""
FINISH = """
UPDATE import_jobs SET status = $2, committed = $3, total_rows = $4, processed_rows = $4,
       loaded_rows = $5, skipped_rows = $6, error_rows = $7, errors_total = $8, errors = $9,
       failure = $10, heartbeat_at = now(), finished_at = now()
WHERE id = $1 RETURNING *
"""
FAIL_INTERRUPTED = """
UPDATE import_jobs SET status = 'failed', failure = 'interrupted: the process running it stopped',
       finished_at = now()
WHERE status = 'running' AND heartbeat_at < now() - $1::interval
"""
