"""``Idempotency-Key`` on POST: the same key from the same caller returns the first response.

Order of work, and why:

1. The bearer token is verified first (the app's own verifier): a forged or expired token gets
   the usual 401 and never reaches a stored response. Keys are partitioned by the verified
   issuer and subject. A request without a bearer token is passed on untouched (the route
   answers 401, or, if public, runs without replay: anonymous callers share no partition).
2. The key is reserved with a lease (``lease_seconds``) and a fresh lease token. A duplicate
   while the lease runs gets 409; once it lapses (the first process died), a retry takes the
   reservation over. The take-over is one conditional ``INSERT … ON CONFLICT DO UPDATE …
   WHERE``, so of two retries that find the same lapsed or expired key only one runs.
   A route listed in ``taken_by_route`` (the 10 December rush's first reports) is not
   reserved ahead: its change inserts the key's row, completed, in its own statement or
   transaction, with no ``ON CONFLICT``, so the change and the key commit together or not at
   all. When the row exists (stored, reserved, another request's, or a concurrent duplicate's
   that commits first) the unique violation rolls the change back (``KeyTaken``) and the
   middleware reserves the key as above: a replay, a refusal, or the route run again under a
   lease. The response is held until then; a refusal without a change is kept only if the key
   is still free (``keep``), and an answer that is never kept (a 404, a 5xx) is sent only if
   no stored answer exists. A crash leaves no lease behind to wait for.
3. A route with a transaction claims the key inside it (``claim_idempotency_key``, or a CTE of
   the change's own statement: ``StatementClaim``, ``claim_cte``): the claim
   updates the key row only while it still carries this request's lease token, and stores the
   response there. So the state change and "this key was applied" commit together: a crash
   after the commit replays the stored response, and a request whose lease was taken over
   rolls back instead of applying the operation twice.
4. After the response, the exact bytes are stored if the status is final for this request
   (``STORED_STATUSES``), else the reservation is released for a retry. When the route's claim
   already stored exactly these bytes (status, kept headers, body), nothing is written again:
   one pool connection and one round trip fewer on every such request.

The verified caller is left in the request state (``shared.auth.dependencies``), so the
route's ``CurrentPrincipal`` does not verify the same header a second time.

Requests are compared by method, path, sorted query and canonical JSON body (keys sorted, no
whitespace), so the same JSON written differently is the same request; another request under
the same key is refused (422). Keys expire after 24 hours.

The parts: ``keys`` (what is stored and compared, the store's protocol), ``middleware`` (the
ASGI middleware: reserve, run, store or release), ``claim`` (the claim inside the route's
transaction) and ``store`` (PostgreSQL: the table's statements and the store).
"""

from shared.http.idempotency.claim import (
    StatementClaim,
    claim_idempotency_key,
    claim_with,
    operation_id,
)
from shared.http.idempotency.keys import (
    DEFAULT_LEASE_SECONDS,
    KEPT_HEADERS,
    MAX_KEY_LENGTH,
    STATE_KEY,
    IdempotencyClaim,
    IdempotencyStore,
    KeyTaken,
    Refusal,
    Reserved,
    StoredResponse,
    is_stored_status,
    request_fingerprint,
)
from shared.http.idempotency.middleware import IdempotencyMiddleware
from shared.http.idempotency.store import (
    PostgresIdempotencyStore,
    claim_cte,
    lease_cte,
    lease_held,
    raising_key_taken,
)

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "KEPT_HEADERS",
    "MAX_KEY_LENGTH",
    "STATE_KEY",
    "IdempotencyClaim",
    "IdempotencyMiddleware",
    "IdempotencyStore",
    "KeyTaken",
    "PostgresIdempotencyStore",
    "Refusal",
    "Reserved",
    "StatementClaim",
    "StoredResponse",
    "claim_cte",
    "claim_idempotency_key",
    "claim_with",
    "is_stored_status",
    "lease_cte",
    "lease_held",
    "operation_id",
    "raising_key_taken",
    "request_fingerprint",
]
