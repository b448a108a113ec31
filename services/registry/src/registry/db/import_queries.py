"""SQL of bulk imports and exports: set-based loads (one statement per batch of rows), the
import job queue, and the look-ups exports make."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def load_batch(
    *,
    table: str,
    columns: Sequence[tuple[str, str]],
    insert: Mapping[str, str],
    conflict: str,
) -> str:
    """One statement that loads a batch of rows, skipping those already present
    (``ON CONFLICT DO NOTHING``: loading the same file twice loads nothing new).

    Returns one row: ``loaded`` (rows inserted) and ``ids``, the inserted rows' ids when some
    were skipped (NULL when every row was inserted, the usual case, so that nothing per row
    comes back). The loaded rows' events and history rows are then copied in
    (``OUTBOX_COLUMNS``, ``HISTORY_COLUMNS``) in the same transaction, for those ids only: a
    key another writer inserted meanwhile gets no event or history row from the import.

    ``columns`` are the batch's arrays (name, element type) after the ids; ``insert`` maps each
    table column to its value (``v.<array>``, or SQL; ``{actor}`` is the importing caller).
    Parameters: $1 ids, then one array per column, then the actor.
    """
    names = [name for name, _ in columns]
    arrays = ", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(columns, start=2))
    actor = f"${len(columns) + 2}"
    values = ", ".join(expr.format(actor=actor) for expr in insert.values())
    return f"""
WITH v AS (
    SELECT * FROM unnest($1::uuid[], {arrays}) AS v (id, {", ".join(names)})
), i AS (
    INSERT INTO {table} (id, {", ".join(insert)})
    SELECT v.id, {values} FROM v
    ON CONFLICT {conflict} DO NOTHING
    RETURNING id
)
SELECT count(*) AS loaded,
       CASE WHEN count(*) < cardinality($1::uuid[]) THEN array_agg(id) END AS ids
FROM i
"""


# The loaded rows' events and history rows, copied in (binary ``COPY``) after ``load_batch``.
OUTBOX_TABLE = "outbox"
HISTORY_TABLE = "entity_changes"
OUTBOX_COLUMNS = (
    "event_id", "topic", "message_key", "lane", "event_type", "payload", "traceparent",
    "tracestate",
)  # fmt: skip
HISTORY_COLUMNS = ("entity_type", "entity_id", "version", "action", "changed_by", "new_values")

_STORE_ARRAYS = [
    ("platform", "text"),
    ("platform_shop_id", "text"),
    ("name", "text"),
    ("owner_enterprise_id", "uuid"),
    ("owner_individual", "text"),
    ("region_code", "text"),
    ("category", "text"),
    ("opened_on", "date"),
    ("closed_on", "date"),
    ("status", "text"),
]
STORE_ARRAYS = [name for name, _ in _STORE_ARRAYS]
LOAD_STORES = load_batch(
    table="stores",
    columns=_STORE_ARRAYS,
    insert={name: f"v.{name}" for name in STORE_ARRAYS} | {"created_by": "{actor}"},
    conflict="(platform, platform_shop_id)",
)
# Kinds travel comma-joined: unnest cannot yield one array per row.
_ENTERPRISE_ARRAYS = [
    ("credit_code", "text"),
    ("name", "text"),
    ("region_code", "text"),
    ("kinds", "text"),
    ("contact_phone", "text"),
    ("contact_email", "text"),
    ("established_on", "date"),
]
ENTERPRISE_ARRAYS = [name for name, _ in _ENTERPRISE_ARRAYS]
LOAD_ENTERPRISES = load_batch(
    table="enterprises",
    columns=_ENTERPRISE_ARRAYS,
    insert={name: f"v.{name}" for name in ENTERPRISE_ARRAYS}
    | {
        "kinds": "COALESCE(string_to_array(NULLIF(v.kinds, ''), ','), '{{}}')",
        "created_by": "{actor}",
    },
    conflict="(credit_code)",
)
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
# A job is queued by the API with its file, then claimed by an importer. Every update of a claim
# names the claim (``attempt``) and a running status: an importer whose lease lapsed and was
# claimed again changes nothing, and an ended job stays ended (also a trigger, migration 0006).

LOCK_FILE = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"
# The same caller's earlier run of the same file: another caller's upload of it is a job of
# its own (it must not see, or be answered with, someone else's job).
EARLIER_RUN = """
SELECT * FROM import_jobs
WHERE kind = $1 AND file_sha256 = $2 AND mode <> 'dry_run' AND created_by = $3
  AND status IN ('queued', 'running', 'succeeded')
ORDER BY created_at DESC LIMIT 1
"""
INSERT_JOB = """
INSERT INTO import_jobs (id, kind, file_sha256, file_name, mode, status, created_by, caller,
                         region_code)
VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8) RETURNING *
"""
# The uploaded file, in parts, copied in (``COPY``) with the job that runs it.
FILE_PARTS_TABLE = "import_files"
FILE_PART_COLUMNS = ("job_id", "part", "content")
FILE_PARTS = "SELECT content FROM import_files WHERE job_id = $1 ORDER BY part"
JOB = "SELECT * FROM import_jobs WHERE id = $1"
# Newest first, keyset paging, within the caller's job scope (``shared.auth.scope.job_scope``):
# its own jobs, and those filed under the regions it administers (``$2`` LIKE patterns).
JOBS = """
SELECT * FROM import_jobs
WHERE (created_by = $1 OR region_code LIKE ANY($2::text[])) AND ($3::text IS NULL OR kind = $3)
  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $6
"""
# The oldest queued job, or a running one whose heartbeat is older than the lease ($2): its
# importer stopped. A reclaimed job restarts from its first row.
CLAIM = """
WITH next AS (
    SELECT id FROM import_jobs
    WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < now() - $2::interval)
    ORDER BY created_at
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE import_jobs j
SET status = 'running', attempt = j.attempt + 1, lapsed = j.lapsed + (j.status = 'running')::int,
    claimed_by = $1, started_at = now(), heartbeat_at = now(), processed_rows = 0,
    loaded_rows = 0, skipped_rows = 0, error_rows = 0, errors_total = 0
FROM next WHERE j.id = next.id
RETURNING j.*
"""
HEARTBEAT = """
UPDATE import_jobs SET heartbeat_at = now()
WHERE id = $1 AND attempt = $2 AND status = 'running'
"""
PROGRESS = """
UPDATE import_jobs SET total_rows = $3, processed_rows = $4, loaded_rows = $5, skipped_rows = $6,
       error_rows = $7, errors_total = $8, heartbeat_at = now()
WHERE id = $1 AND attempt = $2 AND status = 'running'
"""
# Ends the claim's job and drops its file. Run in the load's own transaction when the rows are
# kept: the rows commit only if the claim still holds.
FINISH = """
WITH ended AS (
    UPDATE import_jobs SET status = $3, committed = $4, total_rows = $5, processed_rows = $5,
           loaded_rows = $6, skipped_rows = $7, error_rows = $8, errors_total = $9, errors = $10,
           failure = $11, heartbeat_at = now(), finished_at = now()
    WHERE id = $1 AND attempt = $2 AND status = 'running'
    RETURNING *
), dropped AS (
    DELETE FROM import_files WHERE job_id IN (SELECT id FROM ended)
)
SELECT * FROM ended
"""
# A claim given back (the importer is stopping): the job waits for the next importer.
RELEASE = """
UPDATE import_jobs SET status = 'queued', claimed_by = NULL, heartbeat_at = now()
WHERE id = $1 AND attempt = $2 AND status = 'running'
"""

# --- exports ----------------------------------------------------------------------------------

# A store's owner by credit code, as the import names it (credit codes are public: GB 32100).
CREDIT_CODES = "SELECT id, credit_code FROM enterprises WHERE id = ANY($1::uuid[])"
