"""The HTTP protocol that sends a response's head with its body: on the wire, the bytes the
stock protocol sends, in the same order; a response of known length in one write."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from uvicorn.config import Config
from uvicorn.protocols.http import httptools_impl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from shared.service.one_write import OneWriteHttpToolsProtocol


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name: str) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name)

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def json_route(request: Request) -> Response:
    return JSONResponse({"name": "网络零售额", "value": "12.50"})


async def streamed(request: Request) -> Response:
    async def chunks() -> Any:
        for part in (b"one,", b"two,", b"three"):
            yield part

    return StreamingResponse(chunks(), media_type="text/csv")


async def echo(request: Request) -> Response:
    return Response(await request.body(), media_type="application/octet-stream")


async def empty(request: Request) -> Response:
    return Response(status_code=204)


async def failing_after_start(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]}
    )
    raise RuntimeError("failed between the head and the body")


APP = Starlette(
    routes=[
        Route("/json", json_route, methods=["GET", "HEAD"]),
        Route("/stream", streamed),
        Route("/echo", echo, methods=["POST"]),
        Route("/empty", empty),
    ]
)
DEFAULT_HEADERS = [(b"date", b"Mon, 07 Dec 2026 00:00:00 GMT"), (b"server", b"uvicorn")]


async def exchange(protocol_class: type[HttpToolsProtocol], app: Any, *requests: bytes) -> Any:
    state = ServerState()
    state.default_headers = list(DEFAULT_HEADERS)
    config = Config(app=app, log_level="critical", lifespan="off", ws="none")
    protocol = protocol_class(config=config, server_state=state, app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    for request in requests:
        protocol.data_received(request)
        for _ in range(200):
            await asyncio.sleep(0)
            if not state.tasks and not protocol.pipeline:
                break
    return transport


GET_JSON = b"GET /json HTTP/1.1\r\nhost: example\r\n\r\n"
CASES = {
    "json": (APP, [GET_JSON]),
    "head": (APP, [b"HEAD /json HTTP/1.1\r\nhost: example\r\n\r\n"]),
    "no content": (APP, [b"GET /empty HTTP/1.1\r\nhost: example\r\n\r\n"]),
    "not found": (APP, [b"GET /nowhere HTTP/1.1\r\nhost: example\r\n\r\n"]),
    "streamed": (APP, [b"GET /stream HTTP/1.1\r\nhost: example\r\n\r\n"]),
    "pipelined": (APP, [GET_JSON + b"GET /empty HTTP/1.1\r\nhost: example\r\n\r\n" + GET_JSON]),
    "closing": (APP, [b"GET /json HTTP/1.1\r\nhost: example\r\nconnection: close\r\n\r\n"]),
    "100-continue": (
        APP,
        [
            b"POST /echo HTTP/1.1\r\nhost: example\r\nexpect: 100-continue\r\n"
            b"content-length: 4\r\n\r\n",
            b"body",
        ],
    ),
    "failing after the head": (failing_after_start, [GET_JSON]),
}


@pytest.mark.parametrize("case", CASES)
async def test_the_same_bytes_as_the_stock_protocol(case: str) -> None:
    app, requests = CASES[case]
    stock = await exchange(HttpToolsProtocol, app, *requests)
    ours = await exchange(OneWriteHttpToolsProtocol, app, *requests)
    assert b"".join(ours.writes) == b"".join(stock.writes)
    assert ours.closed == stock.closed
    assert b"".join(stock.writes)  # the case answered something


async def test_a_response_of_known_length_is_one_write() -> None:
    ours = await exchange(OneWriteHttpToolsProtocol, APP, GET_JSON)
    assert len(ours.writes) == 1
    assert ours.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert ours.writes[0].endswith('"网络零售额","value":"12.50"}'.encode())
    pipelined = await exchange(OneWriteHttpToolsProtocol, APP, GET_JSON * 3)
    assert len(pipelined.writes) == 3


async def test_a_streamed_head_is_not_held() -> None:
    ours = await exchange(
        OneWriteHttpToolsProtocol, APP, b"GET /stream HTTP/1.1\r\nhost: example\r\n\r\n"
    )
    assert ours.writes[0].endswith(b"\r\n\r\n")  # the head alone, before the first chunk


async def test_the_continue_is_sent_before_the_answer() -> None:
    app, requests = CASES["100-continue"]
    ours = await exchange(OneWriteHttpToolsProtocol, app, *requests)
    assert ours.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert ours.writes[1].endswith(b"\r\n\r\nbody")


async def test_a_head_held_for_a_client_gone_is_dropped() -> None:
    release = asyncio.Event()

    async def slow_body(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
        )
        await release.wait()
        await send({"type": "http.response.body", "body": b"ok"})

    state = ServerState()
    config = Config(app=slow_body, log_level="critical", lifespan="off", ws="none")
    protocol = OneWriteHttpToolsProtocol(config=config, server_state=state, app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    protocol.data_received(GET_JSON)
    for _ in range(20):
        await asyncio.sleep(0)
    assert transport.writes == []  # held
    transport.close()
    protocol.connection_lost(None)
    release.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert transport.writes == []
    assert not state.tasks


async def logged_exchange(
    protocol_class: type[HttpToolsProtocol], log_level: str, *requests: bytes
) -> list[str]:
    lines: list[str] = []

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    state = ServerState()
    config = Config(app=APP, log_level=log_level, lifespan="off", ws="none")
    access = logging.getLogger("uvicorn.access")
    handler = Lines()
    access.addHandler(handler)
    try:
        protocol = protocol_class(config=config, server_state=state, app_state={})
        protocol.connection_made(RecordingTransport())  # type: ignore[arg-type]
        for request in requests:
            protocol.data_received(request)
            for _ in range(200):
                await asyncio.sleep(0)
                if not state.tasks and not protocol.pipeline:
                    break
    finally:
        access.removeHandler(handler)
    return lines


ACCESS_REQUESTS = (
    GET_JSON,
    b"GET /json?region=370200&name=%E7%BD%91 HTTP/1.1\r\nhost: example\r\n\r\n",
    b"GET /nowhere/%20x HTTP/1.1\r\nhost: example\r\n\r\n",
    b"GET /stream HTTP/1.1\r\nhost: example\r\n\r\n",
)


async def test_the_access_log_lines_are_the_stock_protocols() -> None:
    stock = await logged_exchange(HttpToolsProtocol, "info", *ACCESS_REQUESTS)
    ours = await logged_exchange(OneWriteHttpToolsProtocol, "info", *ACCESS_REQUESTS)
    assert ours == stock
    assert len(stock) == len(ACCESS_REQUESTS)
    assert '"GET /json?region=370200&name=%E7%BD%91 HTTP/1.1" 200' in stock[1]


async def test_an_access_line_the_level_drops_is_not_formatted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    formatted: list[Any] = []
    monkeypatch.setattr(httptools_impl, "get_client_addr", formatted.append)
    stock = await logged_exchange(HttpToolsProtocol, "warning", *ACCESS_REQUESTS)
    assert stock == [] and len(formatted) == len(ACCESS_REQUESTS)  # built, then dropped
    formatted.clear()
    ours = await logged_exchange(OneWriteHttpToolsProtocol, "warning", *ACCESS_REQUESTS)
    assert ours == [] and formatted == []
