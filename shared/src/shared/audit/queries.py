"""All SQL of the audit trail (tables and the chaining trigger in shared/src/shared/db/migrations:
0003_audit_trail.sql, 0006_audit_chain_at_commit.sql)."""

from __future__ import annotations

# An append stores the record in audit_pending; its deferred trigger chains it at COMMIT (lock
# the head, take seq + 1 and the time, hash as shared.audit.chain.row_hash does, insert into
# audit_log, move the head: migration 0006). $17 is the canonical body (chain.canonical_body) as
# bytes; $18 a time to use instead of the clock at commit (tests, a legacy log).
_PENDING_COLUMNS = """kind, action, resource_type, resource_id, region_code, actor_subject,
    actor_roles, actor_region, reason, before, after, details, request_id, trace_id, client_ip, user_agent,
    body, recorded_at"""


def _pending_values(first: int) -> str:
    p = [f"${first + n}" for n in range(18)]
    return (
        f"{', '.join(p[:6])}, {p[6]}::text[], {p[7]}, {p[8]}, {p[9]}::jsonb, {p[10]}::jsonb,"
        f" {p[11]}::jsonb, {', '.join(p[12:16])}, {p[16]}::bytea, {p[17]}::timestamptz"
    )


APPEND = f"INSERT INTO audit_pending ({_PENDING_COLUMNS})\nVALUES ({_pending_values(1)})"


def append_ctes(first: int, *, when: str) -> str:
    """APPEND as a data-modifying CTE of another statement (named ``audited``): a write path's
    change, its events and its audit record in one round trip. Its parameters are
    ``PendingRecord.arguments`` from ``$first`` on; the record is appended only when ``when``,
    an SQL condition, holds. It is chained at the commit, like any append."""
    return f"""audited AS (
    INSERT INTO audit_pending ({_PENDING_COLUMNS})
    SELECT {_pending_values(first)}
    WHERE {when}
)"""


HEAD = "SELECT seq, row_hash, recorded_at FROM audit_chain_head"

# HEAD reads the one row of audit_chain_head, which the migration inserts with the table: a
# statement that finds none runs on a database without the audit migration.
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
