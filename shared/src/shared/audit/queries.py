"""All SQL of the audit trail (tables in shared/src/shared/db/migrations/0003_audit_trail.sql)."""

from __future__ import annotations


# One statement, one round trip: lock the head (appends queue here until the holder commits, so
# each sees the previous hash), take the time under the lock (seq order = time order), hash
# as shared.audit.chain.row_hash does, insert the row and move the head. $17 is the canonical
# body (chain.canonical_body) as bytes; $18 a time to use instead of the clock (tests only).
def _chain_ctes(first: int, when: str | None) -> str:
    """APPEND's CTEs, its eighteen parameters from ``$first`` on; ``when`` gates the head."""

    def p(n: int) -> str:
        return f"${first + n - 1}"

    locked = f"WHERE {when} FOR UPDATE" if when else "FOR UPDATE"
    return f"""head AS (
    SELECT seq + 1 AS seq, row_hash AS prev_hash FROM audit_chain_head {locked}
),
stamped AS (
    SELECT seq, prev_hash, COALESCE({p(18)}::timestamptz, clock_timestamp()) AS recorded_at
    FROM head
),
hashed AS (
    SELECT seq, prev_hash, recorded_at,
           encode(sha256(convert_to(
               prev_hash || E'\\n' || seq::text || E'\\n'
               || to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
               || E'\\n', 'UTF8') || {p(17)}::bytea), 'hex') AS row_hash
    FROM stamped
),
inserted AS (
    INSERT INTO audit_log (
        seq, recorded_at, kind, action, resource_type, resource_id, region_code, actor_subject,
        actor_roles, actor_region, reason, before, after, details, request_id, trace_id,
        client_ip, user_agent, prev_hash, row_hash
    )
    SELECT seq, recorded_at, {p(1)}, {p(2)}, {p(3)}, {p(4)}, {p(5)}, {p(6)}, {p(7)}::text[],
           {p(8)}, {p(9)}, {p(10)}::jsonb, {p(11)}::jsonb, {p(12)}::jsonb, {p(13)}, {p(14)},
           {p(15)}, {p(16)}, prev_hash, row_hash
    FROM hashed
)"""


_MOVE_HEAD = """UPDATE audit_chain_head SET seq = hashed.seq, row_hash = hashed.row_hash,
       recorded_at = hashed.recorded_at
FROM hashed
RETURNING hashed.seq, hashed.row_hash, hashed.recorded_at"""

APPEND = f"""
WITH {_chain_ctes(1, None)}
{_MOVE_HEAD}
"""


def append_ctes(first: int, *, when: str) -> str:
    """APPEND as data-modifying CTEs of another statement (named ``head``, ``stamped``,
    ``hashed``, ``inserted`` and ``moved``): a write path's change, its events and its audit
    record in one round trip. Its parameters are ``PendingRecord.arguments`` from ``$first``
    on. The head is locked (and the record appended) only when ``when``, an SQL condition,
    holds; the CTEs it reads run before the lock is taken, so a statement can take its own row
    locks first, as a transaction calling ``record_change`` last does."""
    return f"{_chain_ctes(first, when)},\nmoved AS (\n{_MOVE_HEAD}\n)"


HEAD = """
UPDATE audit_chain_head SET seq = seq + 1
RETURNING seq, row_hash AS prev_hash, clock_timestamp() AS now
"""

INSERT_ROW = """
WITH inserted AS (
    INSERT INTO audit_log (
        seq, recorded_at, kind, action, resource_type, resource_id, region_code, actor_subject,
        actor_roles, actor_region, reason, before, after, details, request_id, trace_id,
        client_ip, user_agent, row_hash, prev_hash
    )
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
            $19, $20)
)
UPDATE audit_chain_head SET row_hash = $19, recorded_at = $2
"""

HEAD = "SELECT seq, row_hash, recorded_at FROM audit_chain_head"

# APPEND and HEAD read the one row of audit_chain_head, which the migration inserts with the
# table: a statement that finds none runs on a database without the audit migration.
NO_CHAIN_HEAD = "audit_chain_head has no row: the audit migration (0003) was not applied"

LAST_ARCHIVE = """
SELECT * FROM audit_archives WHERE last_seq IS NOT NULL ORDER BY last_seq DESC LIMIT 1
"""

CHAIN_FROM = "SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq"

ROW_AT = "SELECT * FROM audit_log WHERE seq = $1"

CHECKPOINTS = "SELECT seq, row_hash FROM audit_checkpoints ORDER BY seq"

ENSURE_PARTITIONS = "SELECT audit_ensure_partitions($1::date, $2)"

# Partitions of audit_log with their bounds, oldest first.
PARTITIONS = """
SELECT c.relname AS name,
       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\)'))[1]::timestamptz
           AS range_from,
       (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz
           AS range_to
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'audit_log'::regclass
ORDER BY range_from
"""

INSERT_ARCHIVE = """
INSERT INTO audit_archives (partition_name, range_from, range_to, first_seq, last_seq,
                            first_prev_hash, last_hash, row_count, file_name, file_sha256)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
"""

LAST_CHECKPOINT = "SELECT seq, row_hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1"

INSERT_CHECKPOINT = "INSERT INTO audit_checkpoints (event_id, seq, row_hash) VALUES ($1, $2, $3)"


def search(*, regional: bool, newest_first: bool = True) -> str:
    """The REST search: every filter optional (NULL matches all), keyset paging on seq;
    ``regional``: only records whose region matches one of the ``LIKE`` patterns in $8 (a
    record without a region matches none)."""
    order = "DESC" if newest_first else "ASC"
    before_after = "<" if newest_first else ">"
    region = "AND region_code LIKE ANY($8::text[])" if regional else ""
    return f"""
SELECT * FROM audit_log
WHERE ($1::text IS NULL OR resource_type = $1)
  AND ($2::text IS NULL OR resource_id = $2)
  AND ($3::text IS NULL OR actor_subject = $3)
  AND ($4::timestamptz IS NULL OR recorded_at >= $4)
  AND ($5::timestamptz IS NULL OR recorded_at < $5)
  AND ($6::bigint IS NULL OR seq {before_after} $6)
  {region}
ORDER BY seq {order}
LIMIT $7
"""
