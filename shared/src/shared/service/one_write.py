"""uvicorn's HTTP protocol (httptools), sending a response's head and its body in one write.

uvicorn writes the status line and headers when the app sends ``http.response.start`` and the
body when it sends ``http.response.body``: two socket writes, two TCP segments (the socket has
no Nagle delay), and on the client two wake-ups for one response. Here the head of a response
whose length is known (``content-length``: every ``Response`` but the streaming ones) waits in
the cycle's transport for the body's first write and goes out with it: the same bytes in the
same order, in one write. A streaming response's head goes out at once, as before; a head held
when the connection closes (the app failed between start and body) is written before the close,
as it would have been; a head held for a client gone is dropped, as its write would have been.

The cycle's access-log line is formatted only when the access logger takes ``INFO``: uvicorn
builds its arguments (the client's address, the quoted path and query) for every response and
hands them to ``info``, which drops them when the level is higher (the benchmarks serve at
``warning``). Where the logger takes it (``run_api``: ``info``) the line is the same.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle


class _HeadHoldingTransport:
    """The cycle's view of the connection's transport: while ``holding``, a write (the head) is
    kept, and the next write sends it first, in the same call."""

    __slots__ = ("_head", "_transport", "holding")

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._head = b""
        self.holding = False

    def write(self, data: bytes) -> None:
        if self.holding:
            self._head += data
            return
        if self._head:
            data, self._head = self._head + data, b""
        self._transport.write(data)

    def flush(self) -> None:
        if self._head:
            head, self._head = self._head, b""
            if not self._transport.is_closing():
                self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _OneWriteCycle(RequestResponseCycle):
    async def send(self, message: Any) -> None:
        transport = cast(_HeadHoldingTransport, self.transport)
        if message["type"] == "http.response.start" and not self.response_started:
            transport.holding = any(
                name.lower() == b"content-length" for name, _ in message.get("headers", ())
            )
            try:
                await super().send(message)
            finally:
                transport.holding = False
            return
        try:
            await super().send(message)
        finally:
            transport.flush()


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        before = self.cycle
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not before and type(cycle) is RequestResponseCycle:
            # The cycle is made by the method above and its task has not run yet (it starts on
            # the loop's next turn, or when its pipelined turn comes): giving it its transport
            # and its ``send`` now is in time for every message it sends.
            cycle.__class__ = _OneWriteCycle
            cycle.transport = cast(asyncio.Transport, _HeadHoldingTransport(cycle.transport))
            cycle.access_log = cycle.access_log and cycle.access_logger.isEnabledFor(logging.INFO)
