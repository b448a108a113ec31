"""The keys in PostgreSQL (table ``idempotency_keys``, shared migrations): every statement on
it, and the store the middleware uses."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import asyncpg

from shared.http.idempotency.keys import KeyTaken, Refusal, Reserved, StoredResponse

# A new key is inserted; an existing one is taken over only when its 24 hours are over, or when
# it was never applied and its lease lapsed with the same request (a retry after a crash).
# ON CONFLICT DO UPDATE locks the row and re-checks the WHERE on its latest version, so of two
# requests that find the same lapsed key, one takes it and the other sees the new lease.
RESERVE = """
INSERT INTO idempotency_keys (scope, key, request_hash, lease_token, lease_expires_at)
VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
ON CONFLICT (scope, key) DO UPDATE
SET request_hash = EXCLUDED.request_hash, lease_token = EXCLUDED.lease_token,
    lease_expires_at = EXCLUDED.lease_expires_at, created_at = now(), status_code = NULL,
    headers = NULL, body = NULL, completed_at = NULL, applied_at = NULL
WHERE idempotency_keys.created_at < now() - interval '24 hours'
   OR (idempotency_keys.status_code IS NULL AND idempotency_keys.applied_at IS NULL
       AND idempotency_keys.lease_expires_at < now()
       AND idempotency_keys.request_hash = EXCLUDED.request_hash)
RETURNING lease_token
"""
EXISTING = """
SELECT request_hash, status_code, headers, body FROM idempotency_keys
WHERE scope = $1 AND key = $2
"""
# The claim's parameters: scope, key, lease token, status, kept headers, body, and the request's
# hash when the key was not reserved ahead (NULL when it was).
CLAIM_PARAMETERS = 7


def _placeholders(first: int) -> list[str]:
    return [f"${first + n}" for n in range(CLAIM_PARAMETERS)]


def _also(when: str | None) -> str:
    return f" AND {when}" if when else ""


def _claim(first: int, when: str | None = None) -> str:
    p = _placeholders(first)
    return f"""
UPDATE idempotency_keys
SET applied_at = now(), status_code = {p[3]}, headers = {p[4]}, body = {p[5]}, completed_at = now()
WHERE {p[6]}::text IS NULL AND scope = {p[0]} AND key = {p[1]} AND lease_token = {p[2]}
  AND applied_at IS NULL AND status_code IS NULL{_also(when)}
RETURNING 1
"""


def _take(first: int, when: str | None = None) -> str:
    """The claim of a key not reserved ahead: its row inserted, completed. No ON CONFLICT: a
    row already there (stored, reserved, another request's, or inserted by a concurrent
    transaction that then commits) fails the whole statement with a unique violation, so the
    change is never made without its key (``raising_key_taken``)."""
    p = _placeholders(first)
    return f"""
INSERT INTO idempotency_keys (scope, key, request_hash, lease_token, lease_expires_at,
                              status_code, headers, body, completed_at, applied_at)
SELECT {p[0]}, {p[1]}, {p[6]}, {p[2]}, now(), {p[3]}, {p[4]}, {p[5]}, now(), now()
WHERE {p[6]}::text IS NOT NULL{_also(when)}
RETURNING 1
"""


CLAIM = _claim(1)
TAKE = _take(1)


def claim_cte(name: str, first: int, *, when: str | None = None) -> str:
    """CLAIM (or, for a key not reserved ahead, TAKE) as data-modifying CTEs of the change's
    own statement, ``name`` answering a row when the key was claimed; the parameters from
    ``$first`` on (``StatementClaim.arguments``): the claim without a round trip of its own.
    ``when``, an SQL condition on the statement's other CTEs, claims only if it holds (the
    change was made). NULL parameters (no key) claim nothing. Run the statement inside
    ``raising_key_taken``."""
    return (
        f"{name}_leased AS ({_claim(first, when).strip()}),\n"
        f"{name}_taken AS ({_take(first, when).strip()}),\n"
        f"{name} AS (SELECT 1 FROM {name}_leased UNION ALL SELECT 1 FROM {name}_taken)"
    )


def lease_cte(name: str, first: int) -> str:
    """The key's row, locked, while it still carries the lease of ``$first`` on (``claim_cte``'s
    scope, key and token), as a CTE ``name``. A statement that is its own transaction makes
    its change only when ``lease_held`` holds: its ``claim_cte`` then cannot miss, since no
    retry takes a locked row over before the statement commits; when it does not, the
    statement writes nothing (the 409)."""
    return f"""{name} AS (
    SELECT 1 FROM idempotency_keys
    WHERE scope = ${first} AND key = ${first + 1} AND lease_token = ${first + 2}
      AND applied_at IS NULL AND status_code IS NULL
    FOR UPDATE
)"""


def lease_held(name: str, first: int) -> str:
    """The condition on ``lease_cte`` ``name`` (parameters from ``$first`` on) under which the
    statement may make its change: no key, a key not reserved ahead (its ``claim_cte`` inserts
    the row or fails the statement), or the lease found and locked."""
    last = first + CLAIM_PARAMETERS - 1
    return f"(${first}::text IS NULL OR ${last}::text IS NOT NULL OR EXISTS (SELECT FROM {name}))"


KEY_CONSTRAINT = "idempotency_keys_pkey"


@contextlib.contextmanager
def raising_key_taken() -> Iterator[None]:
    """Around a statement or transaction that takes a key not reserved ahead: the unique
    violation on the key's row (the change rolled back with it) raised as ``KeyTaken``."""
    try:
        yield
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == KEY_CONSTRAINT:
            raise KeyTaken from exc
        raise


# The exact bytes sent replace what a claim stored (the same content, as rendered).
COMPLETE = """
UPDATE idempotency_keys
SET status_code = $4, headers = $5, body = $6, completed_at = now(),
    applied_at = coalesce(applied_at, now())
WHERE scope = $1 AND key = $2 AND lease_token = $3
"""
# The final answer of a request whose key was not reserved ahead and whose route made no change
# (a refusal), kept as a reservation's would be: inserted, or over this request's own row (a
# claim the route made and then answered otherwise); another's row is left as it is (None).
KEEP = """
INSERT INTO idempotency_keys AS k (scope, key, request_hash, lease_token, lease_expires_at,
                                   status_code, headers, body, completed_at)
VALUES ($1, $2, $4, $3, now(), $5, $6, $7, now())
ON CONFLICT (scope, key) DO UPDATE
SET status_code = EXCLUDED.status_code, headers = EXCLUDED.headers, body = EXCLUDED.body,
    completed_at = now()
WHERE k.lease_token = EXCLUDED.lease_token
RETURNING 1
"""
FOUND = "SELECT EXISTS (SELECT FROM idempotency_keys WHERE scope = $1 AND key = $2)"
# Only our own reservation, and never one whose operation was applied.
RELEASE = """
DELETE FROM idempotency_keys
WHERE scope = $1 AND key = $2 AND lease_token = $3 AND applied_at IS NULL
"""


class PostgresIdempotencyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def reserve(
        self, *, scope: str, key: str, request_hash: str, lease_seconds: float
    ) -> StoredResponse | Reserved | Refusal:
        async with self._pool.acquire() as connection:
            for _ in range(3):
                token = await connection.fetchval(
                    RESERVE, scope, key, request_hash, uuid.uuid4(), float(lease_seconds)
                )
                if token is not None:
                    return Reserved(token)
                row = await connection.fetchrow(EXISTING, scope, key)
                if row is None:
                    continue  # released meanwhile: try again
                if row["request_hash"] != request_hash:
                    return "mismatch"
                if row["status_code"] is None:
                    return "in_progress"
                headers = [(str(k), str(v)) for k, v in row["headers"] or []]
                return StoredResponse(row["status_code"], headers, bytes(row["body"] or b""))
        return "in_progress"

    async def complete(
        self, *, scope: str, key: str, lease_token: uuid.UUID, response: StoredResponse
    ) -> None:
        await self._pool.execute(
            COMPLETE,
            scope,
            key,
            lease_token,
            response.status_code,
            [list(h) for h in response.headers],
            response.body,
        )

    async def release(self, *, scope: str, key: str, lease_token: uuid.UUID) -> None:
        await self._pool.execute(RELEASE, scope, key, lease_token)

    async def keep(
        self,
        *,
        scope: str,
        key: str,
        lease_token: uuid.UUID,
        request_hash: str,
        response: StoredResponse,
    ) -> bool:
        kept = await self._pool.fetchval(
            KEEP,
            scope,
            key,
            lease_token,
            request_hash,
            response.status_code,
            [list(h) for h in response.headers],
            response.body,
        )
        return kept is not None

    async def exists(self, *, scope: str, key: str) -> bool:
        return bool(await self._pool.fetchval(FOUND, scope, key))
