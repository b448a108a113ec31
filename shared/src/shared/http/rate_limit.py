"""Per-caller request rates, one limit per route class, counted by the ``limits`` library.

The caller is the verified token's issuer and subject, so one user's runaway script cannot
starve an office that shares its network address; requests without a valid token (finance's
callbacks, acknowledgement links, and calls that will be refused with 401) are counted by the
client address (behind the trusted proxies, the nearest untrusted hop). Every answer carries the
IETF draft fields (draft-ietf-httpapi-ratelimit-headers-10): ``RateLimit-Policy: "reads";q=…;w=…``
and ``RateLimit: "reads";r=…;t=…``; a caller over its limit gets 429 problem+json with
``Retry-After``. Counters live in ``rate_limit_storage_uri``: in memory, each API replica counts
on its own (a caller may reach the limit once per replica); a shared store counts across them.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.audit.context import client_ip, parse_trusted_proxies
from shared.auth.dependencies import bearer_token, remember_principal, verify_bearer
from shared.auth.tokens import TokenVerifier
from shared.http import catalogue
from shared.http.asgi import send_problem
from shared.http.problems import ProblemError
from shared.i18n import t

RouteClass = Literal["reads", "writes", "bulk", "public"]
ROUTE_CLASSES: tuple[RouteClass, ...] = ("reads", "writes", "bulk", "public")
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Exports by their file name, whatever the service.
_EXPORT_FILES = re.compile(r"\.(xlsx|csv|pdf|png)$")


@dataclass(frozen=True)
class RouteClasses:
    """Which routes are not plain reads (GET, HEAD) or writes: ``public`` path prefixes (no
    token; counted by client address) and ``bulk`` (method, path pattern) pairs: imports,
    exports, uploads. Probes are never limited (a 429 would restart a healthy pod)."""

    public: tuple[str, ...] = ()
    bulk: tuple[tuple[str, str], ...] = ()
    exempt: tuple[str, ...] = ("/healthz", "/readyz")

    def classify(self, method: str, path: str) -> RouteClass | None:
        if path in self.exempt:
            return None
        if self.public and path.startswith(self.public):
            return "public"
        if method == "GET" and _EXPORT_FILES.search(path):
            return "bulk"
        if any(method == m and re.search(pattern, path) for m, pattern in self.bulk):
            return "bulk"
        return "writes" if method in _WRITES else "reads"


def parse_limit(text: str) -> RateLimitItem:
    """``"600/minute"`` (the ``limits`` notation: n per second, minute, hour or day)."""
    return parse(text)


def storage_uri(uri: str) -> str:
    """The asyncio flavour of a ``limits`` storage URI (``memory://`` → ``async+memory://``)."""
    return uri if uri.startswith("async+") else f"async+{uri}"


class _MemoryWindows:
    """Fixed windows counted in this process, as ``limits``' FixedWindowRateLimiter counts them
    (a window opens at a key's first hit and lasts the item's expiry; every hit counts, the
    ones over the limit too), in O(1) per request. ``limits``' asyncio memory storage starts a
    task on every hit that walks every key it holds, so a rush of many callers (thousands of
    reporters, each a key of its own) cost each request time in proportion to the callers
    seen; here expired windows are swept at most once per ``sweep_seconds``."""

    def __init__(self, sweep_seconds: float = 30.0) -> None:
        self._windows: dict[tuple[str, str], list[float]] = {}  # key -> [count, window end]
        self._sweep_seconds = sweep_seconds
        self._next_sweep = 0.0

    def hit(self, item: RateLimitItem, route_class: str, caller: str) -> tuple[bool, int, float]:
        """Counts one request; whether it is allowed, the requests left and when the window
        ends (epoch seconds)."""
        now = time.time()
        if now >= self._next_sweep:
            self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            self._next_sweep = now + self._sweep_seconds
        key = (route_class, caller)
        window = self._windows.get(key)
        if window is None or window[1] <= now:
            window = [0, now + item.get_expiry()]
            self._windows[key] = window
        window[0] += 1
        count = int(window[0])
        return count <= item.amount, max(0, item.amount - count), window[1]


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: Mapping[RouteClass, RateLimitItem],
        classes: RouteClasses,
        verifier_factory: Callable[[], TokenVerifier],
        trusted_proxies: str = "",
        storage: str = "memory://",
    ) -> None:
        self.app = app
        self.limits = limits
        self.classes = classes
        self.verifier_factory = verifier_factory
        self.trusted = parse_trusted_proxies(trusted_proxies)
        # In memory (one replica's own counts) without ``limits``' per-hit sweep of every key;
        # a shared store through ``limits``.
        self.memory = _MemoryWindows() if storage_uri(storage) == "async+memory://" else None
        self.limiter = FixedWindowRateLimiter(storage_from_string(storage_uri(storage)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route_class = (
            self.classes.classify(scope["method"], scope["path"])
            if scope["type"] == "http"
            else None
        )
        if route_class is None:
            await self.app(scope, receive, send)
            return
        item = self.limits[route_class]
        caller = await self._caller(scope, route_class)
        if self.memory is not None:
            allowed, remaining, reset_time = self.memory.hit(item, route_class, caller)
        else:
            allowed = await self.limiter.hit(item, route_class, caller)
            stats = await self.limiter.get_window_stats(item, route_class, caller)
            remaining, reset_time = stats.remaining, stats.reset_time
        reset = max(1, math.ceil(reset_time - time.time()))
        headers = {
            "RateLimit-Policy": f'"{route_class}";q={item.amount};w={item.get_expiry()}',
            "RateLimit": f'"{route_class}";r={remaining};t={reset}',
        }
        if not allowed:
            problem = ProblemError(
                catalogue.TOO_MANY_REQUESTS,
                t(
                    f"同一调用方每 {item.get_expiry()} 秒至多 {item.amount} 次{route_class}类请求，"
                    f"请 {reset} 秒后重试",
                    f"at most {item.amount} {route_class} requests per "
                    f"{item.get_expiry()} s from one caller; retry in {reset} s",
                ),
                headers={**headers, "Retry-After": str(reset)},
            )
            await send_problem(send, scope, problem)
            return
        encoded = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def send_with_fields(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *encoded]
            await send(message)

        await self.app(scope, receive, send_with_fields)

    async def _caller(self, scope: Scope, route_class: RouteClass) -> str:
        headers = Headers(scope=scope)
        authorization = headers.get("authorization")
        if route_class != "public" and bearer_token(authorization) is not None:
            try:
                principal = await verify_bearer(self.verifier_factory(), authorization)
            except ProblemError:
                pass  # counted by address; the route answers 401
            else:
                # The routes and the Idempotency-Key middleware reuse it: one RSA check.
                remember_principal(scope, authorization, principal)
                return f"token:{principal.identity}"
        peer = scope["client"][0] if scope.get("client") else None
        forwarded = ", ".join(headers.getlist("x-forwarded-for")) or None
        return f"address:{client_ip(peer, forwarded, self.trusted) or 'unknown'}"
