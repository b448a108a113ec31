"""The senders' client connects only to the public addresses it resolved itself: a name that
answers with a private address when the connection is made (DNS rebinding, after the checks at
registration and before the send) is refused there. No network: resolvers and the inner
backend are stand-ins."""

from __future__ import annotations

import asyncio
from typing import Any

import httpcore
import httpx
import pytest

from notifications.channels.egress import (
    PublicOnlyBackend,
    QuickReadable,
    QuickReadableBackend,
    egress_client,
)
from tests.support.polling import until

LIMITS = httpx.Limits(max_connections=4)


def resolver(answers: dict[str, list[str]]) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        return answers[host]

    return resolve


class Recording(httpcore.AsyncNetworkBackend):
    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.connected: list[tuple[str, int]] = []
        self.failing = failing

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.connected.append((host, port))
        if host in self.failing:
            raise httpcore.ConnectError("unreachable")
        return object()

    async def sleep(self, seconds: float) -> None:
        return None


async def test_a_name_that_now_resolves_to_a_private_address_is_refused_by_the_client() -> None:
    rebinding = resolver({"hooks.example.com": ["10.0.0.7"]})
    async with egress_client(allow_private=False, limits=LIMITS, resolver=rebinding) as client:
        with pytest.raises(httpx.ConnectError, match=r"refused: hooks.example.com .*10\.0\.0\.7"):
            await client.post("https://hooks.example.com/notify", content=b"{}")


@pytest.mark.parametrize(
    "answers",
    [["127.0.0.1"], ["8.8.8.8", "192.168.1.5"], ["::1"], ["169.254.169.254"], []],
    ids=["loopback", "one-of-two-private", "ipv6-loopback", "metadata", "no-answer"],
)
async def test_any_private_answer_refuses_the_connection(answers: list[str]) -> None:
    inner = Recording()
    backend = PublicOnlyBackend(inner, resolver({"h.example.com": answers}))
    with pytest.raises(httpcore.ConnectError, match="refused"):
        await backend.connect_tcp("h.example.com", 443)
    assert inner.connected == []


async def test_the_connection_goes_to_the_address_checked_not_to_the_name() -> None:
    inner = Recording(failing=frozenset({"2001:4860:4860::8888"}))
    answers = {"h.example.com": ["2001:4860:4860::8888", "8.8.8.8"]}
    backend = PublicOnlyBackend(inner, resolver(answers))
    await backend.connect_tcp("h.example.com", 443)
    assert inner.connected == [("2001:4860:4860::8888", 443), ("8.8.8.8", 443)]


async def test_a_name_that_does_not_resolve_is_a_connect_error_to_retry() -> None:
    async def failing(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    backend = PublicOnlyBackend(Recording(), failing)
    with pytest.raises(httpcore.ConnectError, match="cannot resolve"):
        await backend.connect_tcp("nowhere.example.com", 443)


def test_development_allows_private_endpoints_with_httpx_own_backend() -> None:
    client = egress_client(allow_private=True, limits=LIMITS)
    backend = client._transport._pool._network_backend._inner  # type: ignore[attr-defined]
    assert not isinstance(backend, PublicOnlyBackend)


def test_the_senders_client_keeps_alive_every_connection_it_may_open() -> None:
    from notifications.bootstrap import sender_limits
    from notifications.config import NotificationsSettings

    settings = NotificationsSettings(
        environment="test",
        database_url="postgresql://x@y/z",
        kafka_bootstrap_servers="127.0.0.1:9",
        sender_concurrency=64,
    )
    client = egress_client(allow_private=False, limits=sender_limits(settings))
    pool = client._transport._pool  # type: ignore[attr-defined]
    assert (pool._max_connections, pool._max_keepalive_connections) == (64, 64)


async def test_an_idle_connection_is_readable_once_the_server_closed_it_as_httpcore_says() -> None:
    """The pool's check that a kept-alive connection was not closed by its server: answered
    with one poll() on the socket, as httpcore's own backend answers it."""
    closing = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await closing.wait()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    inner = httpcore.AnyIOBackend()
    try:
        ours = await QuickReadableBackend(inner).connect_tcp("127.0.0.1", port)
        theirs = await inner.connect_tcp("127.0.0.1", port)
        assert isinstance(ours, QuickReadable)
        assert ours.get_extra_info("is_readable") is theirs.get_extra_info("is_readable") is False
        closing.set()

        async def both_see_it_closed() -> bool:
            return bool(ours.get_extra_info("is_readable") and theirs.get_extra_info("is_readable"))

        await until(both_see_it_closed, seconds=10, interval=0.01)
        assert ours.get_extra_info("is_readable") is theirs.get_extra_info("is_readable") is True
        assert ours.get_extra_info("server_addr") == ("127.0.0.1", port)
        await ours.aclose()
        await theirs.aclose()
        assert ours.get_extra_info("is_readable") is True  # closed: gone from the pool
    finally:
        server.close()


def test_the_senders_connections_answer_the_readable_check_themselves() -> None:
    for allow_private in (True, False):
        client = egress_client(allow_private=allow_private, limits=LIMITS)
        backend = client._transport._pool._network_backend  # type: ignore[attr-defined]
        assert isinstance(backend, QuickReadableBackend)
