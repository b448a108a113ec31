"""Revising a programme as a province does (read it, change it, send it back with If-Match),
publishing the registry's outbox, and running another service's consumer of the revisions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi.testclient import TestClient

from shared.db.pool import create_pool
from shared.events import default_catalog
from shared.messaging.consumer import ConsumerSettings, Handler, IdempotentConsumer
from shared.messaging.kafka import create_consumer, create_producer
from shared.messaging.relay import OutboxRelay
from shared.programmes.revisions import TOPICS
from tests.support.databases import drop_database, migrated_database
from tests.support.polling import until
from tests.support.stack import Stack

GUIZHOU = "guizhou-shibaiqianwan-2023"
Change = Callable[[dict[str, Any]], None]


def revise(
    api: TestClient,
    headers: dict[str, str],
    change: Change,
    *,
    programme_id: str = GUIZHOU,
    reason: str = "年度申报通知",
) -> Any:
    """GET the programme, apply ``change`` to it, PUT it back with its ETag; the response."""
    read = api.get(f"/v1/programmes/{programme_id}", headers=headers)
    assert read.status_code == 200, read.text
    definition = read.json()
    change(definition)
    return api.put(
        f"/v1/programmes/{programme_id}",
        json={"definition": definition, "reason": reason},
        headers={**headers, "If-Match": read.headers["ETag"]},
    )


def add_2026_round(definition: dict[str, Any]) -> None:
    """The province runs its application round a year past the targets' horizon (2025)."""
    definition["application_rounds"]["last_year"] = 2026


def add_2026_report(definition: dict[str, Any]) -> None:
    """The province takes the yearly report in 2026 too (the period runs on with it)."""
    definition["period"]["end"] = "2026-12-31"
    definition["reporting_windows"][0]["last_year"] = 2026


async def publish_outbox(stack: Stack, dsn: str) -> int:
    """The registry's outbox to Kafka, as its relay does; how many events went."""
    pool = await create_pool(dsn, min_size=1, max_size=2)
    producer = create_producer(stack.kafka_bootstrap, client_id="revisions-relay")
    await producer.start()
    try:
        return await OutboxRelay(pool=pool, producer=producer, dsn=dsn).drain()
    finally:
        await producer.stop()
        await pool.close()


async def consume_revisions(
    stack: Stack,
    pool: asyncpg.Pool,
    *,
    name: str,
    prefix: str,
    done: Callable[[], Awaitable[bool]],
    handlers: Mapping[str, Handler] | None = None,
) -> None:
    """A service's idempotent consumer of ``registry.programme`` (its handlers, or the shared
    one), run until ``done``."""
    from shared.programmes.revisions import handlers as revision_handlers

    kafka = create_consumer(
        *(f"{prefix}{topic}" for topic in TOPICS),
        bootstrap_servers=stack.kafka_bootstrap,
        group_id=f"{prefix}{name}",
    )
    producer = create_producer(stack.kafka_bootstrap, client_id=f"{prefix}{name}-dlq")
    await producer.start()
    await kafka.start()
    consumer = IdempotentConsumer(
        settings=ConsumerSettings(name=name, topic_prefix=prefix),
        pool=pool,
        consumer=kafka,
        dead_letter_producer=producer,
        catalog=default_catalog(),
        handlers=handlers if handlers is not None else revision_handlers(),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await until(done, seconds=60, message="the revision was not applied")
    finally:
        stop.set()
        await task
        await kafka.stop()
        await producer.stop()


@asynccontextmanager
async def registry_service(
    stack: Stack, *, prefix: str, public_key: str
) -> AsyncIterator[tuple[TestClient, str]]:
    """A registry API on a database of its own, migrated as ``python -m registry migrate``
    does (the programme files recorded as revision 1), publishing under ``prefix``; the client
    and the database's DSN."""
    from registry.api.app import create_app
    from registry.bootstrap import record_programme_files
    from registry.config import RegistrySettings
    from registry.db import MIGRATIONS_DIR

    dsn = await migrated_database(stack, "registry", MIGRATIONS_DIR)
    settings = RegistrySettings(
        environment="test",
        database_url=dsn,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        kafka_topic_prefix=prefix,
        temporal_target=stack.temporal_target,
        jwt_public_key=public_key,
    )
    await record_programme_files(settings)
    try:
        with TestClient(create_app(settings)) as client:
            yield client, dsn
    finally:
        await drop_database(stack, dsn)
