"""The benchmarks' lean HTTP client: a status and body once the whole response has arrived,
several requests (POST and GET) on one keep-alive connection, and an error (not a hang) when the
server hangs up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from benchmarks.load_client import LoadClient

LENGTH = b'HTTP/1.1 201 Created\r\nContent-Length: 11\r\n\r\n{"ok":true}'
# The body in two chunks, and the response written in two pieces: the status comes only once
# the last chunk has arrived.
CHUNKED = (
    b"HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
    b"2\r\nde\r\n0\r\n\r\n",
)


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        if head.startswith(b"GET /chunked?a=1 "):
            body = b"chunked"
        elif head.startswith(b"GET "):
            body = b""
        else:
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            body = await reader.readexactly(length)
        if body == b"hang up":
            writer.close()
            return
        if body == b"chunked":
            writer.write(CHUNKED[0])
            await writer.drain()
            await asyncio.sleep(0)
            writer.write(CHUNKED[1])
        else:
            writer.write(LENGTH)
        await writer.drain()


@pytest.fixture
async def port() -> AsyncIterator[int]:
    server = await asyncio.start_server(_serve, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_answers_of_several_requests_on_one_connection(port: int) -> None:
    async with LoadClient("127.0.0.1", port) as client:
        assert await client.post_json("/a", b"{}", "Idempotency-Key: k\r\n") == (
            201,
            b'{"ok":true}',
        )
        assert await client.post_json("/a", b"chunked", "") == (409, b"abcde")
        assert await client.get("/chunked?a=1", "Authorization: Bearer t\r\n") == (409, b"abcde")
        assert await client.get("/a", "") == (201, b'{"ok":true}')


async def test_a_server_that_hangs_up_fails_the_request(port: int) -> None:
    async with LoadClient("127.0.0.1", port) as client:
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(client.post_json("/a", b"hang up", ""), timeout=30)
