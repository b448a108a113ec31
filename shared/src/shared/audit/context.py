"""The facts of the request an audit record belongs to, carried in a context variable.

``AuditContextMiddleware`` (pure ASGI, so it also sees streamed responses) sets them for each
HTTP request: the request id (``X-Request-ID`` if the caller sent a sane one, else a new one,
echoed in the response), the client IP and the user agent as the request carried them. The
client IP is the TCP peer, unless the peer is one of the trusted proxies: then the
``X-Forwarded-For`` chain is read from the right, skipping trusted proxies, and the first
address that is not one is the client (a client cannot forge its way past a proxy that appends).
"""

from __future__ import annotations

import contextvars
import ipaddress
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
MAX_USER_AGENT = 512
_WANTED = frozenset({b"x-request-id", b"x-forwarded-for", b"user-agent", b"traceparent"})


@dataclass(frozen=True)
class RequestFacts:
    request_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    traceparent: str | None = None


_NO_REQUEST = RequestFacts()
_current: contextvars.ContextVar[RequestFacts | None] = contextvars.ContextVar(
    "audit_request_facts", default=None
)


def current_request() -> RequestFacts:
    """The facts of the request being handled (empty outside a request: a process, a CLI)."""
    return _current.get() or _NO_REQUEST


def use_request(facts: RequestFacts) -> contextvars.Token[RequestFacts | None]:
    return _current.set(facts)


def parse_trusted_proxies(value: str | Iterable[str]) -> tuple[IPNetwork, ...]:
    """``"10.0.0.0/8, 192.168.1.7"`` (or a list) as networks; a bare address is a /32 (/128)."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _is_trusted(address: str, trusted: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_ip(
    peer: str | None, forwarded_for: str | None, trusted: tuple[IPNetwork, ...]
) -> str | None:
    """The client's address: the peer, or (behind trusted proxies) the nearest untrusted hop."""
    if peer is None or not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


class AuditContextMiddleware:
    def __init__(self, app: ASGIApp, trusted_proxies: str | Iterable[str] = "") -> None:
        self.app = app
        self.trusted = parse_trusted_proxies(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # ASGI header names are lower-case bytes; only these four are read. Repeated
        # X-Forwarded-For lines are one list, in order (RFC 9110 5.3).
        headers: dict[str, str] = {}
        for key, value in scope.get("headers", []):
            if key in _WANTED:
                name, text = key.decode("latin-1"), value.decode("latin-1")
                headers[name] = f"{headers[name]}, {text}" if name in headers else text
        offered = headers.get("x-request-id", "")
        request_id = offered if _REQUEST_ID.match(offered) else str(uuid.uuid4())
        peer = scope["client"][0] if scope.get("client") else None
        facts = RequestFacts(
            request_id=request_id,
            client_ip=client_ip(peer, headers.get("x-forwarded-for"), self.trusted),
            user_agent=(headers.get("user-agent") or None)
            and headers["user-agent"][:MAX_USER_AGENT],
            traceparent=headers.get("traceparent"),
        )

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        token = use_request(facts)
        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            _current.reset(token)
