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
3. A route with a transaction claims the key inside it (``claim_idempotency_key``): the claim
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
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl

import asyncpg
from fastapi import Request
from fastapi.encoders import jsonable_encoder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth.dependencies import (
    VERIFIED_STATE,
    bearer_token,
    remember_principal,
    verify_bearer,
)
from shared.auth.tokens import TokenVerifier
from shared.http import catalogue
from shared.http.problems import ProblemError, send_problem
from shared.i18n import t

MAX_KEY_LENGTH = 255
DEFAULT_LEASE_SECONDS = 60
KEPT_HEADERS = {b"content-type", b"location", b"etag"}
STATE_KEY = "idempotency"


def is_stored_status(status: int) -> bool:
    """Responses that completed the request: 2xx, and the domain's final refusals of this exact
    request (409 conflict, 422 unprocessable: the same body gets the same answer).

    Not stored: 401/403/404 (they depend on the token's claims, which change), 5xx (a fault),
    400/412/413/415/428 (preconditions the client fixes in headers or transport, not in the
    request the key names: a stored 428 would replay to the retry that now sends If-Match)."""
    return 200 <= status < 300 or status in (409, 422)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Reserved:
    lease_token: uuid.UUID


Refusal = Literal["in_progress", "mismatch"]


@dataclass
class IdempotencyClaim:
    """What a route needs to claim the key inside its own transaction (request state).
    ``claimed`` is the response the claim stored, once it has (the middleware compares it
    with the bytes sent)."""

    scope: str
    key: str
    lease_token: uuid.UUID
    claimed: StoredResponse | None = None


class IdempotencyStore(Protocol):
    async def reserve(
        self, *, scope: str, key: str, request_hash: str, lease_seconds: float
    ) -> StoredResponse | Reserved | Refusal: ...
    async def complete(
        self, *, scope: str, key: str, lease_token: uuid.UUID, response: StoredResponse
    ) -> None: ...
    async def release(self, *, scope: str, key: str, lease_token: uuid.UUID) -> None: ...


def request_fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    """Method, path, sorted query and canonical JSON body, hashed. A body that is not JSON
    counts byte for byte."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    query = sorted(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    head = json.dumps([method, path, query]).encode()
    return hashlib.sha256(head + b"\n" + canonical).hexdigest()


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store_factory: Callable[[], IdempotencyStore],
        verifier_factory: Callable[[], TokenVerifier],
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        exempt_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.store_factory = store_factory
        self.verifier_factory = verifier_factory
        self.lease_seconds = lease_seconds
        # Paths whose POST bodies are not buffered for replay: uploads, which are large and
        # idempotent by their own content (the registry's imports, by the file's SHA-256).
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"].startswith(self.exempt_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        authorization = headers.get("authorization")
        if key is None or bearer_token(authorization) is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH:
            problem = ProblemError(
                catalogue.BAD_IDEMPOTENCY_KEY,
                t(f"应为 1 至 {MAX_KEY_LENGTH} 个字符", f"1 to {MAX_KEY_LENGTH} characters"),
            )
            await send_problem(send, scope, problem)
            return
        remembered = scope.get("state", {}).get(VERIFIED_STATE)
        if remembered is not None and remembered[0] == authorization:
            principal = remembered[1]  # verified moments ago by the rate limiter
        else:
            try:
                principal = await verify_bearer(self.verifier_factory(), authorization)
            except ProblemError as unauthorized:
                await send_problem(send, scope, unauthorized)
                return
            remember_principal(scope, authorization, principal)
        owner = principal.identity
        body = await _read_body(receive)
        fingerprint = request_fingerprint(
            scope["method"], scope["path"], scope.get("query_string", b""), body
        )
        store = self.store_factory()
        reservation = await store.reserve(
            scope=owner, key=key, request_hash=fingerprint, lease_seconds=self.lease_seconds
        )
        if isinstance(reservation, StoredResponse):
            await _replay(send, reservation)
        elif reservation == "mismatch":
            problem = ProblemError(
                catalogue.IDEMPOTENCY_KEY_REUSED,
                t(
                    "该 Idempotency-Key 已用于另一个不同的请求",
                    "Idempotency-Key reused with a different request",
                ),
            )
            await send_problem(send, scope, problem)
        elif reservation == "in_progress":
            problem = ProblemError(
                catalogue.REQUEST_IN_PROGRESS,
                t(
                    "使用该 Idempotency-Key 的首个请求仍在处理，请稍后重试",
                    "the first request with this key is still running; retry later",
                ),
                headers={"Retry-After": "1"},
            )
            await send_problem(send, scope, problem)
        else:
            claim = IdempotencyClaim(owner, key, reservation.lease_token)
            scope.setdefault("state", {})[STATE_KEY] = claim
            await self._run_and_store(scope, body, send, store, claim)

    async def _run_and_store(
        self,
        scope: Scope,
        body: bytes,
        send: Send,
        store: IdempotencyStore,
        claim: IdempotencyClaim,
    ) -> None:
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}
        delivered = False

        async def replay_body() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                    if k.lower() in KEPT_HEADERS
                ]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        owner, key, token = claim.scope, claim.key, claim.lease_token
        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await store.release(scope=owner, key=key, lease_token=token)
            raise
        if is_stored_status(captured["status"]):
            response = StoredResponse(captured["status"], captured["headers"], captured["body"])
            if not _same_response(claim.claimed, response):
                await store.complete(scope=owner, key=key, lease_token=token, response=response)
        else:
            await store.release(scope=owner, key=key, lease_token=token)


async def claim_idempotency_key(
    connection: asyncpg.Connection,
    request: Request,
    *,
    status_code: int,
    content: Any = None,
    headers: Mapping[str, str] | None = None,
    rendered: bytes | None = None,
) -> None:
    """Mark this request's key applied, with its response, in the caller's transaction.

    Call it inside the transaction that makes the state change, just before it commits. It
    succeeds only while the key still carries this request's lease; otherwise (the lease
    lapsed and a retry took over) it raises a 409 problem, which rolls the transaction back,
    so the operation is applied once. Without an Idempotency-Key it does nothing.

    ``rendered``: the JSON body exactly as the route will send it (a route that returns its
    own ``Response``), instead of ``content`` rendered here as FastAPI would: one rendering
    on a hot path, and the stored bytes are the sent bytes by construction."""
    claim = getattr(request.state, STATE_KEY, None)
    if not isinstance(claim, IdempotencyClaim):
        return
    body = (
        rendered
        if rendered is not None
        else json.dumps(
            jsonable_encoder(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode()
    )
    kept = [["content-type", "application/json"]] + [
        [name.lower(), value]
        for name, value in (headers or {}).items()
        if name.lower().encode() in KEPT_HEADERS
    ]
    claimed = await connection.fetchval(
        _CLAIM, claim.scope, claim.key, claim.lease_token, status_code, kept, body
    )
    if claimed is not None:
        # Counted on only after the commit: a transaction that rolls back raises, and a
        # failed response never equals it, so the middleware then stores or releases as usual.
        claim.claimed = StoredResponse(status_code, [(k, v) for k, v in kept], body)
    else:
        raise ProblemError(
            catalogue.REQUEST_SUPERSEDED,
            t(
                "本请求的 Idempotency-Key 租约已过期并由重试接管；本请求未产生任何修改",
                "this request's Idempotency-Key lease lapsed and a retry took it over; "
                "nothing was applied by this request",
            ),
        )


def _same_response(claimed: StoredResponse | None, sent: StoredResponse) -> bool:
    if claimed is None:
        return False
    return (
        claimed.status_code == sent.status_code
        and claimed.body == sent.body
        and sorted(claimed.headers) == sorted((k.lower(), v) for k, v in sent.headers)
    )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _replay(send: Send, stored: StoredResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers]
    headers += [
        (b"idempotent-replayed", b"true"),
        (b"content-length", str(len(stored.body)).encode()),
    ]
    await send({"type": "http.response.start", "status": stored.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})


# A new key is inserted; an existing one is taken over only when its 24 hours are over, or when
# it was never applied and its lease lapsed with the same request (a retry after a crash).
# ON CONFLICT DO UPDATE locks the row and re-checks the WHERE on its latest version, so of two
# requests that find the same lapsed key, one takes it and the other sees the new lease.
_RESERVE = """
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
_EXISTING = """
SELECT request_hash, status_code, headers, body FROM idempotency_keys
WHERE scope = $1 AND key = $2
"""
_CLAIM = """
UPDATE idempotency_keys
SET applied_at = now(), status_code = $4, headers = $5, body = $6, completed_at = now()
WHERE scope = $1 AND key = $2 AND lease_token = $3 AND applied_at IS NULL
  AND status_code IS NULL
RETURNING 1
"""
# The exact bytes sent replace what a claim stored (the same content, as rendered).
_COMPLETE = """
UPDATE idempotency_keys
SET status_code = $4, headers = $5, body = $6, completed_at = now(),
    applied_at = coalesce(applied_at, now())
WHERE scope = $1 AND key = $2 AND lease_token = $3
"""
# Only our own reservation, and never one whose operation was applied.
_RELEASE = """
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
                    _RESERVE, scope, key, request_hash, uuid.uuid4(), float(lease_seconds)
                )
                if token is not None:
                    return Reserved(token)
                row = await connection.fetchrow(_EXISTING, scope, key)
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
            _COMPLETE,
            scope,
            key,
            lease_token,
            response.status_code,
            [list(h) for h in response.headers],
            response.body,
        )

    async def release(self, *, scope: str, key: str, lease_token: uuid.UUID) -> None:
        await self._pool.execute(_RELEASE, scope, key, lease_token)
