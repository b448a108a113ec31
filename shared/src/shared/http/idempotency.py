"""``Idempotency-Key`` on POST: the same key from the same caller returns the first response.

The first request reserves the key, runs, and stores its response (unless it failed with a
5xx, which releases the key so the caller may retry). A replay gets the stored response with
``Idempotent-Replayed: true``; the same key with a different request is refused (422); a
duplicate while the first is still running gets 409. Keys expire after 24 hours.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import asyncpg
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_KEY_LENGTH = 255
KEPT_HEADERS = {b"content-type", b"location", b"etag"}
Reservation = Literal["reserved", "in_progress", "mismatch"]


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


class IdempotencyStore(Protocol):
    async def reserve(
        self, *, scope: str, key: str, request_hash: str
    ) -> StoredResponse | Reservation: ...
    async def complete(self, *, scope: str, key: str, response: StoredResponse) -> None: ...
    async def release(self, *, scope: str, key: str) -> None: ...


def caller_scope(authorization: str | None) -> str:
    """The token's subject, read without verification: it only partitions keys; the route
    still verifies the token."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return "anonymous"
    try:
        payload = authorization.split()[1].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return f"sub:{claims.get('sub', 'anonymous')}"
    except (IndexError, ValueError, binascii.Error):
        return "anonymous"


def _problem(status: int, title: str, detail: str) -> tuple[int, bytes]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return status, json.dumps(body).encode()


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store_factory: Callable[[], IdempotencyStore],
        exempt_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.store_factory = store_factory
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
        if key is None:
            await self.app(scope, receive, send)
            return
        if not key or len(key) > MAX_KEY_LENGTH:
            await self._answer(
                send, *_problem(400, "Bad Idempotency-Key", f"1 to {MAX_KEY_LENGTH} characters")
            )
            return
        body = await _read_body(receive)
        request_hash = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"\n" + body
        ).hexdigest()
        owner = caller_scope(headers.get("authorization"))
        store = self.store_factory()
        reservation = await store.reserve(scope=owner, key=key, request_hash=request_hash)
        if isinstance(reservation, StoredResponse):
            await self._replay(send, reservation)
            return
        if reservation == "mismatch":
            await self._answer(
                send,
                *_problem(
                    422, "Idempotency-Key reused", "Idempotency-Key reused with a different request"
                ),
            )
            return
        if reservation == "in_progress":
            await self._answer(
                send,
                *_problem(
                    409, "Request in progress", "the first request with this key is still running"
                ),
            )
            return
        await self._run_and_store(scope, body, send, store, owner, key)

    async def _run_and_store(
        self, scope: Scope, body: bytes, send: Send, store: IdempotencyStore, owner: str, key: str
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

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await store.release(scope=owner, key=key)
            raise
        if captured["status"] >= 500:
            await store.release(scope=owner, key=key)
        else:
            await store.complete(
                scope=owner,
                key=key,
                response=StoredResponse(captured["status"], captured["headers"], captured["body"]),
            )

    @staticmethod
    async def _replay(send: Send, stored: StoredResponse) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored.headers]
        headers += [
            (b"idempotent-replayed", b"true"),
            (b"content-length", str(len(stored.body)).encode()),
        ]
        await send(
            {"type": "http.response.start", "status": stored.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": stored.body})

    @staticmethod
    async def _answer(send: Send, status: int, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


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


_RESERVE = """
INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
ON CONFLICT (scope, key) DO NOTHING RETURNING key
"""
_EXISTING = """
SELECT request_hash, status_code, headers, body, created_at < now() - interval '24 hours' AS expired
FROM idempotency_keys WHERE scope = $1 AND key = $2
"""
_COMPLETE = """
UPDATE idempotency_keys SET status_code = $3, headers = $4, body = $5, completed_at = now()
WHERE scope = $1 AND key = $2
"""
_RELEASE = "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2"


class PostgresIdempotencyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def reserve(
        self, *, scope: str, key: str, request_hash: str
    ) -> StoredResponse | Reservation:
        async with self._pool.acquire() as connection:
            for _ in range(2):
                if await connection.fetchval(_RESERVE, scope, key, request_hash) is not None:
                    return "reserved"
                row = await connection.fetchrow(_EXISTING, scope, key)
                if row is None:
                    continue  # released meanwhile: try again
                if row["expired"]:
                    await connection.execute(_RELEASE, scope, key)
                    continue
                if row["request_hash"] != request_hash:
                    return "mismatch"
                if row["status_code"] is None:
                    return "in_progress"
                headers = [(str(k), str(v)) for k, v in row["headers"] or []]
                return StoredResponse(row["status_code"], headers, bytes(row["body"] or b""))
        return "in_progress"

    async def complete(self, *, scope: str, key: str, response: StoredResponse) -> None:
        await self._pool.execute(
            _COMPLETE,
            scope,
            key,
            response.status_code,
            [list(h) for h in response.headers],
            response.body,
        )

    async def release(self, *, scope: str, key: str) -> None:
        await self._pool.execute(_RELEASE, scope, key)
