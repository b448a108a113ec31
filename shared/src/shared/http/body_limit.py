"""A size limit on every request body: 413 problem+json at once when Content-Length says so,
or as soon as the streamed bytes pass it (a chunked body has no Content-Length), so an
oversized body is never read whole. JSON routes share one limit (``max_body_bytes``); upload
routes keep their own larger limits, which their handlers enforce with their own messages; the
limit here is only their backstop."""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http import catalogue
from shared.http.asgi import send_problem
from shared.http.problems import ProblemError
from shared.i18n import t

# (method, path pattern, limit in bytes): a route with a larger limit than the default.
LargeBody = tuple[str, str, int]
# Added to an upload route's own limit here, so that its handler's more specific 413 ("File
# too large; split the file") is the one a caller sees.
UPLOAD_SLACK = 64 * 1024


class BodyTooLarge(HTTPException):
    """An HTTPException, so that FastAPI passes it on when it is raised while a route reads its
    body (any other error there would become a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request bodies here are limited to {limit} bytes")
        self.limit = limit


def _problem(limit: int) -> ProblemError:
    return ProblemError(
        catalogue.CONTENT_TOO_LARGE,
        t(f"此处请求体不得超过 {limit} 字节", f"request bodies here are limited to {limit} bytes"),
    )


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, default: int, larger: Sequence[LargeBody] = ()) -> None:
        self.app = app
        self.default = default
        self.larger = [(method, re.compile(pattern), limit) for method, pattern, limit in larger]

    def limit_for(self, method: str, path: str) -> int:
        for wanted, pattern, limit in self.larger:
            if method == wanted and pattern.search(path):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await send_problem(send, scope, _problem(limit))
                return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            # Raised in a middleware that reads the body first (NUL guard, Idempotency-Key);
            # inside a route, the problem handlers have already answered.
            if started:
                raise
            await send_problem(send, scope, _problem(limit))
