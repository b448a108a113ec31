"""The ASGI middleware: verify the caller, reserve the key, run the route, then store the
response or release the reservation (the order and its reasons: ``shared.http.idempotency``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth.dependencies import (
    VERIFIED_STATE,
    bearer_token,
    remember_principal,
    verify_bearer,
)
from shared.auth.tokens import TokenVerifier
from shared.http import catalogue
from shared.http.idempotency.keys import (
    DEFAULT_LEASE_SECONDS,
    KEPT_HEADERS,
    MAX_KEY_LENGTH,
    STATE_KEY,
    IdempotencyClaim,
    IdempotencyStore,
    KeyTaken,
    StoredResponse,
    is_stored_status,
    request_fingerprint,
)
from shared.http.problems import ProblemError, send_problem
from shared.i18n import t


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store_factory: Callable[[], IdempotencyStore],
        verifier_factory: Callable[[], TokenVerifier],
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        exempt_prefixes: tuple[str, ...] = (),
        taken_by_route: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.store_factory = store_factory
        self.verifier_factory = verifier_factory
        self.lease_seconds = lease_seconds
        # Paths whose POST bodies are not buffered for replay: uploads, which are large and
        # idempotent by their own content (the registry's imports, by the file's SHA-256).
        self.exempt_prefixes = exempt_prefixes
        # POST paths (full-match patterns) whose route takes its key with its change, so the
        # key is not reserved ahead: one round trip and one pool connection fewer on each.
        self.taken_by_route = [re.compile(pattern) for pattern in taken_by_route]

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
        if any(pattern.fullmatch(scope["path"]) for pattern in self.taken_by_route):
            unreserved = IdempotencyClaim(owner, key, uuid.uuid4(), request_hash=fingerprint)
            if await _run_unreserved(self.app, scope, body, send, store, unreserved):
                return
            # The key was taken meanwhile or before: answered as a reserved key is below.
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

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = _kept_headers(message)
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        owner, key, token = claim.scope, claim.key, claim.lease_token
        try:
            await self.app(scope, _replay_body(body), capture)
        except BaseException:
            await store.release(scope=owner, key=key, lease_token=token)
            raise
        if is_stored_status(captured["status"]):
            response = StoredResponse(captured["status"], captured["headers"], captured["body"])
            if not _same_response(claim.claimed, response):
                await store.complete(scope=owner, key=key, lease_token=token, response=response)
        else:
            await store.release(scope=owner, key=key, lease_token=token)


async def _run_unreserved(
    app: ASGIApp,
    scope: Scope,
    body: bytes,
    send: Send,
    store: IdempotencyStore,
    claim: IdempotencyClaim,
) -> bool:
    """Runs a route that takes its key with its change (``shared.http.idempotency``, step 2),
    its response held until the key's fate is known. False, with nothing sent and nothing
    changed, when the key turns out to be taken: the caller then reserves it as usual, which
    replays, refuses, or runs the route again under a lease. A route on this path must make no
    change but with its claim (``StatementClaim``, ``claim_idempotency_key``)."""
    scope.setdefault("state", {})[STATE_KEY] = claim
    held: list[Message] = []

    async def hold(message: Message) -> None:
        held.append(message)

    try:
        await app(scope, _replay_body(body), hold)
    except KeyTaken:
        return False
    sent = _held_response(held)
    owner, key = claim.scope, claim.key
    if is_stored_status(sent.status_code):
        # Kept as the key's answer unless the route's claim stored these very bytes: inserted,
        # or over this request's own row. Another's row means this request changed nothing
        # (its claim would have made the row its own): answered as a reserved key is.
        if not _same_response(claim.claimed, sent) and not await store.keep(
            scope=owner,
            key=key,
            lease_token=claim.lease_token,
            request_hash=claim.request_hash or "",
            response=sent,
        ):
            return False
    elif claim.claimed is None and await store.exists(scope=owner, key=key):
        return False  # a stored answer is replayed rather than one never kept (a 404, a 5xx)
    for message in held:
        await send(message)
    return True


def _replay_body(body: bytes) -> Receive:
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _held_response(held: list[Message]) -> StoredResponse:
    status, headers, chunks = 500, [], []  # as captured when the route sent nothing
    for message in held:
        if message["type"] == "http.response.start":
            status, headers = message["status"], _kept_headers(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
    return StoredResponse(status, headers, b"".join(chunks))


def _kept_headers(start: Message) -> list[tuple[str, str]]:
    return [
        (k.decode("latin-1"), v.decode("latin-1"))
        for k, v in start.get("headers", [])
        if k.lower() in KEPT_HEADERS
    ]


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
