"""What the Idempotency-Key machinery stores and compares: the stored response, a reservation,
the claim a route makes, the store's protocol and the request's fingerprint."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import parse_qsl

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
    with the bytes sent).

    ``request_hash`` is set when the key was not reserved ahead (a route that takes its key
    with its change, ``IdempotencyMiddleware``'s ``taken_by_route``): the claim then inserts the
    key's row, completed, in the change's transaction, and raises ``KeyTaken`` (the change rolled
    back) when the row exists; ``lease_token`` marks the row as this request's."""

    scope: str
    key: str
    lease_token: uuid.UUID
    claimed: StoredResponse | None = None
    request_hash: str | None = None


class KeyTaken(Exception):
    """A key not reserved ahead was found taken (stored, reserved, or used for another request)
    by the claim that would have inserted it: the change was rolled back with it, and the
    middleware answers as for a reserved key (a replay, a refusal, or the route run again)."""


class IdempotencyStore(Protocol):
    async def reserve(
        self, *, scope: str, key: str, request_hash: str, lease_seconds: float
    ) -> StoredResponse | Reserved | Refusal: ...
    async def complete(
        self, *, scope: str, key: str, lease_token: uuid.UUID, response: StoredResponse
    ) -> None: ...
    async def release(self, *, scope: str, key: str, lease_token: uuid.UUID) -> None: ...
    async def keep(
        self,
        *,
        scope: str,
        key: str,
        lease_token: uuid.UUID,
        request_hash: str,
        response: StoredResponse,
    ) -> bool: ...
    async def exists(self, *, scope: str, key: str) -> bool: ...


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
