"""The keys in PostgreSQL (table ``idempotency_keys``, shared migrations): every statement on
it, and the store the middleware uses."""

from __future__ import annotations

import uuid

import asyncpg

from shared.http.idempotency.keys import Refusal, Reserved, StoredResponse

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
# The claim's parameters: scope, key, lease token, status, kept headers, body.
CLAIM_PARAMETERS = 6


def _claim(first: int, when: str | None = None) -> str:
    p = [f"${first + n}" for n in range(CLAIM_PARAMETERS)]
    return f"""
UPDATE idempotency_keys
SET applied_at = now(), status_code = {p[3]}, headers = {p[4]}, body = {p[5]}, completed_at = now()
WHERE scope = {p[0]} AND key = {p[1]} AND lease_token = {p[2]} AND applied_at IS NULL
  AND status_code IS NULL{f" AND {when}" if when else ""}
RETURNING 1
"""


CLAIM = _claim(1)


def claim_cte(name: str, first: int, *, when: str | None = None) -> str:
    """CLAIM as a data-modifying CTE ``name`` of the change's own statement, its parameters from
    ``$first`` on (``StatementClaim.arguments``): the claim without a round trip of its own.
    ``when``, an SQL condition on the statement's other CTEs, claims only if it holds (the
    change was made). NULL parameters (no key) claim nothing."""
    return f"{name} AS ({_claim(first, when).strip()})"


def lease_cte(name: str, first: int) -> str:
    """The key's row, locked, while it still carries the lease of ``$first`` on (``claim_cte``'s
    scope, key and token), as a CTE ``name``. A statement that is its own transaction makes
    its change only when this finds the row (``EXISTS (SELECT FROM name)``): its
    ``claim_cte`` then cannot miss, since no retry takes a locked row over before the
    statement commits; when it finds none, the statement writes nothing (the 409)."""
    return f"""{name} AS (
    SELECT 1 FROM idempotency_keys
    WHERE scope = ${first} AND key = ${first + 1} AND lease_token = ${first + 2}
      AND applied_at IS NULL AND status_code IS NULL
    FOR UPDATE
)"""


# The exact bytes sent replace what a claim stored (the same content, as rendered).
COMPLETE = """
UPDATE idempotency_keys
SET status_code = $4, headers = $5, body = $6, completed_at = now(),
    applied_at = coalesce(applied_at, now())
WHERE scope = $1 AND key = $2 AND lease_token = $3
"""
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
