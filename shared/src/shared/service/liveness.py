"""Liveness of the roles that serve no API (relay, consumer, later workers).

The role's loop calls ``Heartbeat.beat`` whenever it makes progress (the relay: a batch
committed or a round completed; the consumer: a processed message or an empty poll). A tiny
HTTP endpoint, ``GET /livez`` on ``LIVENESS_PORT``, answers 200 while the last beat is younger
than ``LIVENESS_TIMEOUT_SECONDS`` and 503 after, so the kubelet restarts a process whose loop
hangs or has failed for that long (a dead producer, a broken session). The timeout is well
above the longest retry backoff, so a short PostgreSQL or Kafka outage restarts nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable

LIVENESS_PATH = b"/livez"
_READ_TIMEOUT_SECONDS = 5.0


class Heartbeat:
    def __init__(
        self, timeout_seconds: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._timeout = timeout_seconds
        self._clock = clock
        self._last = clock()  # starting counts as a beat: a grace of one timeout to get going

    def beat(self) -> None:
        self._last = self._clock()

    @property
    def seconds_since_beat(self) -> float:
        return self._clock() - self._last

    def alive(self) -> bool:
        return self.seconds_since_beat <= self._timeout


def _response(status: str, body: dict[str, object]) -> bytes:
    payload = json.dumps(body).encode()
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode() + payload


async def _answer(
    heartbeat: Heartbeat, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        request_line = await asyncio.wait_for(reader.readline(), _READ_TIMEOUT_SECONDS)
        while (await asyncio.wait_for(reader.readline(), _READ_TIMEOUT_SECONDS)).strip():
            pass  # headers: nothing in them matters here
        parts = request_line.split()
        if len(parts) < 2 or parts[0] != b"GET" or parts[1] != LIVENESS_PATH:
            writer.write(_response("404 Not Found", {"error": "only GET /livez is served"}))
        else:
            since = round(heartbeat.seconds_since_beat, 1)
            if heartbeat.alive():
                writer.write(_response("200 OK", {"status": "alive", "seconds_since_beat": since}))
            else:
                writer.write(
                    _response(
                        "503 Service Unavailable",
                        {"status": "stalled", "seconds_since_beat": since},
                    )
                )
        await writer.drain()
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        pass  # a probe that hung up or never finished its request
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def liveness_endpoint(
    heartbeat: Heartbeat, host: str, port: int | None
) -> AsyncIterator[None]:
    """Serve ``GET /livez`` while the block runs; nothing when ``port`` is None."""
    if port is None:
        yield
        return
    server = await asyncio.start_server(
        lambda reader, writer: _answer(heartbeat, reader, writer), host, port
    )
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()
