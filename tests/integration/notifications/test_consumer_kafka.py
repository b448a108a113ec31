"""The notifications consumer on real Kafka: the same clock point delivered three times and
two consumers running side by side write each (event, recipient, channel) once; an event that
cannot be routed goes to the dead-letter topic with the reason."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import asyncpg
import pytest

from notifications.config import NotificationsSettings
from notifications.consumers.subscriptions import TOPICS, handlers
from notifications.db import MIGRATIONS_DIR
from shared.db.pool import create_pool
from shared.events.submissions import MissingReporters
from shared.messaging.consumer import dead_letter_topic
from shared.messaging.kafka import create_producer
from shared.service.entrypoints import consumer_role
from tests.integration.notifications.support import CONTEXT, deadline_event
from tests.support.databases import drop_database, migrated_database
from tests.support.kafka import read_topic
from tests.support.polling import until
from tests.support.stack import Stack


@pytest.fixture
async def database(stack: Stack) -> AsyncIterator[str]:
    dsn = await migrated_database(stack, "notifications", MIGRATIONS_DIR)
    try:
        yield dsn
    finally:
        await drop_database(stack, dsn)


async def test_redelivered_and_concurrently_consumed_events_deliver_once(
    database: str, stack: Stack, topic_prefix: str
) -> None:
    prefix = f"{topic_prefix}n1."
    settings = NotificationsSettings(
        environment="test",
        database_url=database,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        kafka_topic_prefix=prefix,
        consumer_backoff_initial_seconds=0.01,
    )
    bureaus = [
        MissingReporters(region_code="520100", level="city", designation_ids=["P1"]),
        MissingReporters(region_code="520102", level="county", designation_ids=["E1", "E2"]),
    ]
    good = deadline_event(-7, bureaus)
    poison = deadline_event(-7, bureaus, window="no-such-programme.annual-report.2025")
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    try:
        for envelope in (good, good, poison, good):
            await producer.send_and_wait(
                settings.topic("submissions.deadline"),
                envelope.model_dump_json().encode(),
                key=envelope.subject.encode(),
            )
    finally:
        await producer.stop()

    stop = asyncio.Event()
    roles = [
        asyncio.create_task(consumer_role(settings, TOPICS, handlers(CONTEXT), stop))
        for _ in range(2)
    ]
    pool = await create_pool(database, min_size=1, max_size=2)
    try:
        dead = await read_topic(
            stack.kafka_bootstrap, dead_letter_topic(prefix, "notifications"), expected=1
        )
        assert len(dead) == 1
        headers = dict(dead[0].headers)
        assert b"no known programme" in headers["dlq.error"]
        assert gc.get_freeze_count() > 0  # a running consumer's start heap (shared.service.heap)

        async def both() -> bool:
            return await _count(pool, good.id) >= 2

        await until(both, seconds=30, interval=0.2, message="the good event was not delivered")
        rows = await pool.fetch(
            "SELECT region_code, channel, count(*) AS n FROM deliveries WHERE event_id = $1"
            " GROUP BY 1, 2 ORDER BY 1",
            good.id,
        )
        assert [(r["region_code"], r["channel"], r["n"]) for r in rows] == [
            ("520100", "inbox", 1),
            ("520102", "inbox", 1),
        ]
        assert await pool.fetchval("SELECT count(*) FROM notifications") == 2
    finally:
        stop.set()
        await asyncio.gather(*roles)
        await pool.close()
    assert gc.get_freeze_count() == 0  # thawed when the consumers stopped


async def _count(pool: asyncpg.Pool, event_id: str) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM deliveries WHERE event_id = $1", event_id))
