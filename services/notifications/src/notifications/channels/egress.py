"""Outgoing HTTP that connects only to the addresses it checked (DNS rebinding closed).

Recipients' URLs are checked when they are registered and again before each send
(``notifications.sender.loop.refused_endpoint``), but a name can resolve to a public address
for the check and to a private one a moment later, when the HTTP client resolves it again to
connect. Here the name is resolved once, inside the connection: every address it gives must be
public, and the connection is made to one of those very addresses (TLS still names and
verifies the host).

httpx has no argument for httpcore's network backend, so ``egress_client`` wraps the backend of
the pool httpx built; ``tests/unit/notifications/test_egress.py`` fails if that stops working.
Private endpoints allowed or not, its connections answer the pool's "closed by the server?"
check themselves (``QuickReadable``).
"""

from __future__ import annotations

import asyncio
import select
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from notifications.domain.addresses import is_private_host

Resolve = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))


class PublicOnlyBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend, resolver: Resolve = resolve) -> None:
        self._inner, self._resolve = inner, resolver

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.wait_for(self._resolve(host, port), timeout)
        except (OSError, TimeoutError) as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        private = sorted(a for a in addresses if is_private_host(a))
        if private or not addresses:
            raise httpcore.ConnectError(
                f"refused: {host} resolves to loopback or private {', '.join(private)}"
            )
        # Each address in turn; the last one's failure is the one raised.
        *others, last = addresses
        for address in others:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError:
                continue
        return await self._inner.connect_tcp(last, port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("refused: no Unix sockets for recipients")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class QuickReadable(httpcore.AsyncNetworkStream):
    """A connection that answers "is the socket readable?" with one ``poll()``. httpcore asks
    it of every idle connection of the pool whenever a request starts or ends (has the server
    closed it?), and anyio answers by building a table of the socket's attributes first,
    ``getpeername()`` included: a fifth of a webhook send's CPU with sixteen connections."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return QuickReadable(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info != "is_readable" or self._socket is None:
            return self._inner.get_extra_info(info)
        descriptor = self._socket.fileno()
        if descriptor == -1:  # closed: as httpcore answers
            return True
        poll = select.poll()
        poll.register(descriptor, select.POLLIN)
        return bool(poll.poll(0))


class QuickReadableBackend(httpcore.AsyncNetworkBackend):
    """``inner``'s connections, each a ``QuickReadable``."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return QuickReadable(
            await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return QuickReadable(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def egress_client(
    *, allow_private: bool, limits: httpx.Limits, resolver: Resolve = resolve
) -> httpx.AsyncClient:
    """The senders' client: no redirects, 10 s timeout, and (unless private endpoints are
    allowed, as in development) connections only to public addresses checked on connecting."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    pool = transport._pool
    backend = pool._network_backend
    if not allow_private:
        backend = PublicOnlyBackend(backend, resolver)
    pool._network_backend = QuickReadableBackend(backend)
    return httpx.AsyncClient(
        transport=transport, timeout=10.0, limits=limits, follow_redirects=False
    )
