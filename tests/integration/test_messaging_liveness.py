"""``GET /livez`` of the relay and consumer roles (``python -m <service> relay|consumer``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from shared.service.entrypoints import consumer_role, relay_role
from shared.service.liveness import Heartbeat, liveness_endpoint
from shared.settings import ServiceSettings
from tests.support.kafka_topics import delete_topics
from tests.support.polling import until
from tests.support.private_postgres import free_port
from tests.support.stack import Stack


async def status_of(url: str) -> int:
    async with httpx.AsyncClient(timeout=5) as client:
        try:
            return (await client.get(url)).status_code
        except httpx.TransportError:
            return 0  # not listening yet


async def wait_for_status(url: str, expected: int, *, timeout: float = 20) -> None:
    async def answers() -> bool:
        return await status_of(url) == expected

    await until(answers, seconds=timeout, message=f"{url} did not answer {expected}")


async def test_the_endpoint_fails_once_the_loop_is_overdue() -> None:
    # The heartbeat's clock is the test's: a loaded machine that pauses this process for longer
    # than a real timeout must not turn the first 200 into a 503.
    now = [1000.0]
    heartbeat = Heartbeat(30, clock=lambda: now[0])
    port = free_port()
    async with liveness_endpoint(heartbeat, "127.0.0.1", port):
        url = f"http://127.0.0.1:{port}/livez"
        assert await status_of(url) == 200
        now[0] += 30
        assert await status_of(url) == 200  # exactly the timeout is still alive
        now[0] += 0.1
        assert await status_of(url) == 503  # no beat: the loop is stuck
        heartbeat.beat()
        assert await status_of(url) == 200
        assert await status_of(f"http://127.0.0.1:{port}/other") == 404


async def run_role_until_alive(role: Callable[[asyncio.Event], Awaitable[None]], port: int) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(role(stop))
    try:
        await wait_for_status(f"http://127.0.0.1:{port}/livez", 200)
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
    assert await status_of(f"http://127.0.0.1:{port}/livez") == 0  # closed with the role


def settings_for(messaging_db: str, stack: Stack, prefix: str, port: int) -> ServiceSettings:
    return ServiceSettings(
        service_name="livenesstest",
        environment="test",
        database_url=messaging_db,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        kafka_topic_prefix=prefix,
        http_host="127.0.0.1",
        liveness_port=port,
        liveness_timeout_seconds=30,
    )


async def test_the_relay_role_serves_its_liveness(
    messaging_db: str, stack: Stack, topic_prefix: str
) -> None:
    port = free_port()
    settings = settings_for(messaging_db, stack, f"{topic_prefix}live-relay.", port)
    await run_role_until_alive(lambda stop: relay_role(settings, stop), port)


async def test_the_consumer_role_serves_its_liveness(
    messaging_db: str, stack: Stack, topic_prefix: str
) -> None:
    port = free_port()
    prefix = f"{topic_prefix}live-consumer."
    settings = settings_for(messaging_db, stack, prefix, port)
    try:
        await run_role_until_alive(
            lambda stop: consumer_role(settings, ["registry.enterprise"], {}, stop), port
        )
    finally:
        await delete_topics(stack.kafka_bootstrap, prefix)
