"""Refuse NUL characters in the URL and in JSON bodies before any route sees them.

PostgreSQL ``text`` cannot hold U+0000: a NUL that reaches a query parameter, a path segment
or a JSON string ends as a 500 (``invalid byte sequence``) deep in a handler. One guard for
every service answers with a problem instead: 400 for a NUL in the path, 422 naming the
parameter or body field otherwise.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http import catalogue
from shared.http.problems import ProblemError, invalid, send_problem
from shared.i18n import t

NUL = "\x00"
# A JSON text carries NUL only as the escape \u0000 (raw control characters are invalid in
# strings); an even run of backslashes before it is an escaped backslash, not an escape.
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def nul_fields(value: Any, path: str) -> list[str]:
    """Where NULs sit in a decoded JSON value: ``body.name``, ``body.items.2`` …"""
    if isinstance(value, str):
        return [path] if NUL in value else []
    if isinstance(value, dict):
        found = [f"{path}.{key}" for key in value if NUL in key]
        for key, item in value.items():
            found += nul_fields(item, f"{path}.{key}")
        return found
    if isinstance(value, list):
        return [field for i, item in enumerate(value) for field in nul_fields(item, f"{path}.{i}")]
    return []


def _query_fields(query_string: bytes) -> list[str]:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return [f"query.{name}" for name, value in pairs if NUL in name or NUL in value]


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media = value.split(b";")[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


NUL_MESSAGE = "NUL (U+0000) is not allowed in text"


def _invalid(fields: list[str]) -> ProblemError:
    errors = [{"field": f, "message": NUL_MESSAGE, "type": "nul_character"} for f in fields]
    listed = ", ".join(fields)
    return invalid(
        errors, t(f"文本中不得含 NUL 字符：{listed}", f"NUL characters are not allowed: {listed}")
    )


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if NUL in path:
            problem = ProblemError(
                catalogue.BAD_REQUEST, t("路径中含 NUL 字符", "the path contains a NUL character")
            )
            await send_problem(send, scope, problem)
            return
        fields = _query_fields(scope.get("query_string", b""))
        if fields:
            await send_problem(send, scope, _invalid(fields))
            return
        if scope["method"] not in _BODY_METHODS or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        raw, more = await _read_body(receive)
        if more is None and _ESCAPED_NUL.search(raw):
            try:
                fields = nul_fields(json.loads(raw), "body")
            except ValueError:
                fields = []  # not JSON at all: the route's own validation says so
            if fields:
                await send_problem(send, scope, _invalid(fields))
                return
        await self.app(scope, _replay(raw, more, receive), send)


async def _read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole body, or what came before a disconnect (then returned as the second item)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, last: Message | None, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if last is not None:
            return last
        return await receive()  # later calls wait for the client's disconnect, as usual

    return replay
