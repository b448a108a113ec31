"""Every GET answered 200 with JSON carries a strong ``ETag``: the route's own (a record's
version), or else the SHA-256 of the bytes sent. So a client can tell whether what it read
changed, of every resource, without each route computing a tag; a route whose resource can
be changed with If-Match sets its own, the one its update compares."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.http.etag import content_etag


def _tags_itself(message: Message) -> bool:
    """Whether the response is not ours to tag: not a 200, not JSON, or tagged already."""
    if message["status"] != 200:
        return True
    headers = dict(message.get("headers", []))
    media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    json_media = media == b"application/json" or media.endswith(b"+json")
    return b"etag" in headers or not json_media


class RepresentationETagMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def tagging(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and not _tags_itself(message):
                start = message  # held until the whole body is known
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            headers = [*start.get("headers", []), (b"etag", content_etag(body).encode())]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, tagging)
