"""A load generator's HTTP/1.1 client: one keep-alive connection, a request's bytes written, its
response's status and body returned once the whole response has arrived (parsed by httptools,
the parser uvicorn serves with).

Why not aiohttp (or httpx): the load generator shares the benchmark machine's two cores with the
API it measures, and every millisecond it spends is one the API does not get. aiohttp took
≈ 0.3 ms of CPU per request in the 12-10 rush (a request object, header multidicts, the JSON
body encoded, a response object, timers), about a quarter of what the API itself spends; this
client writes bytes built once per request and counts bytes read. It speaks only what the
benchmark needs: requests with a ``Content-Length`` body, responses with a ``Content-Length``
or chunked body, no redirects, no TLS.
"""

from __future__ import annotations

import asyncio

import httptools


class ConnectionClosed(ConnectionError):
    """The server closed the connection before its response was complete."""


class _Exchange(asyncio.Protocol):
    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[tuple[int, bytes]] | None = None
        self._body: list[bytes] = []

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._parser.feed_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc or ConnectionClosed("closed before the response"))

    # httptools' callbacks: a piece of the body; the response, body included, has arrived.
    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        body, self._body = b"".join(self._body), []
        if self._answer is not None and not self._answer.done():
            self._answer.set_result((self._parser.get_status_code(), body))

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self._transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return self._answer

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class LoadClient:
    """``async with LoadClient(host, port) as client: status, body = await client.get(...)``."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self.port = host, port
        self._exchange: _Exchange | None = None

    async def __aenter__(self) -> LoadClient:
        loop = asyncio.get_running_loop()
        _, self._exchange = await loop.create_connection(_Exchange, self._host, self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._exchange is not None:
            self._exchange.close()

    def post_json(self, path: str, body: bytes, headers: str) -> asyncio.Future[tuple[int, bytes]]:
        """POSTs ``body`` (JSON, already encoded) to ``path``; ``headers`` are extra header lines,
        each ending in CRLF. Answers the response's status and body once it has arrived whole."""
        assert self._exchange is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self.port}\r\n{headers}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return self._exchange.send(head.encode() + body)

    def get(self, target: str, headers: str) -> asyncio.Future[tuple[int, bytes]]:
        """GETs ``target`` (a path with its query, already encoded); as ``post_json``."""
        assert self._exchange is not None
        head = f"GET {target} HTTP/1.1\r\nHost: {self._host}:{self.port}\r\n{headers}\r\n"
        return self._exchange.send(head.encode())
