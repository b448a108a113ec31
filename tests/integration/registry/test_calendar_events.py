"""A year the province loads on the registry reaches the other services' own tables: the
registry's relay publishes ``registry.calendar.loaded`` and the consumers of notifications and
submissions keep the year in their ``calendar_years`` (docs/calendar.md). A replayed or older
version changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from fastapi.testclient import TestClient

from notifications.config import NotificationsSettings
from notifications.consumers import subscriptions
from notifications.db import MIGRATIONS_DIR as NOTIFICATIONS_MIGRATIONS
from registry.api.app import create_app
from registry.config import RegistrySettings
from shared.service.entrypoints import consumer_role, relay_role
from shared.working_days import WorkingDayCalendar
from submissions.config import SubmissionsSettings
from submissions.consumers import designations
from submissions.db import MIGRATIONS_DIR as SUBMISSIONS_MIGRATIONS
from submissions.handlers.common import Context
from tests.integration.notifications.support import CONTEXT
from tests.support.databases import drop_database, migrated_database
from tests.support.polling import until
from tests.support.stack import Stack

YEAR = {
    "holidays": ["2031-01-01", "2031-01-22", "2031-01-23", "2031-01-24"],
    "workdays": ["2031-01-19"],
    "source_document": "国务院办公厅关于2031年部分节假日安排的通知",
}


@pytest.fixture
async def databases(stack: Stack) -> AsyncIterator[dict[str, str]]:
    made = {
        "notifications": await migrated_database(stack, "notifications", NOTIFICATIONS_MIGRATIONS),
        "submissions": await migrated_database(stack, "submissions", SUBMISSIONS_MIGRATIONS),
    }
    try:
        yield made
    finally:
        for dsn in made.values():
            await drop_database(stack, dsn)


async def _kept(dsn: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT year, version, holidays, workdays, source_document FROM calendar_years"
        )
        return [tuple(row) for row in rows]
    finally:
        await connection.close()


async def test_a_loaded_year_reaches_every_other_services_table(
    registry_settings: Callable[..., RegistrySettings],
    auth: Callable[..., dict[str, str]],
    databases: dict[str, str],
    stack: Stack,
    topic_prefix: str,
) -> None:
    # Topics of its own: the end-to-end services (a session fixture) keep a notifications
    # consumer in the session's `<prefix>notifications` group, which could otherwise be
    # assigned the calendar topic and keep the year in its own database.
    registry = registry_settings(
        outbox_poll_interval_seconds=0.1, kafka_topic_prefix=f"{topic_prefix}calendar."
    )
    corrected = {**YEAR, "holidays": [*YEAR["holidays"], "2031-01-27"]}
    with TestClient(create_app(registry)) as registry_api:
        first = registry_api.put("/v1/calendars/2031", json=YEAR, headers=auth())
        assert first.status_code == 200, first.text
        second = registry_api.put(
            "/v1/calendars/2031", json=corrected, headers={**auth(), "If-Match": '"1"'}
        )
        assert second.status_code == 200, second.text

    common: dict[str, Any] = {
        "environment": "test",
        "kafka_bootstrap_servers": stack.kafka_bootstrap,
        "kafka_topic_prefix": registry.kafka_topic_prefix,
        "consumer_backoff_initial_seconds": 0.01,
    }
    notifications = NotificationsSettings(database_url=databases["notifications"], **common)
    submissions = SubmissionsSettings(database_url=databases["submissions"], **common)
    stop = asyncio.Event()
    roles = [
        asyncio.create_task(relay_role(registry, stop)),
        asyncio.create_task(
            consumer_role(
                notifications, subscriptions.TOPICS, subscriptions.handlers(CONTEXT), stop
            )
        ),
        asyncio.create_task(
            consumer_role(
                submissions,
                designations.TOPICS,
                designations.handlers(Context(programmes={})),
                stop,
            )
        ),
    ]
    try:
        for dsn in databases.values():

            async def newest(dsn: str = dsn) -> bool:
                return [row[1] for row in await _kept(dsn)] == [2]

            await until(newest, seconds=60, interval=0.2, message=f"2031 not kept in {dsn}")
    finally:
        stop.set()
        await asyncio.gather(*roles)

    for dsn in databases.values():
        [(year, version, holidays, workdays, document)] = await _kept(dsn)
        assert (year, version) == (2031, 2)
        assert [day.isoformat() for day in holidays] == corrected["holidays"]
        assert [day.isoformat() for day in workdays] == YEAR["workdays"]
        assert document == YEAR["source_document"]
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
        try:
            calendar = WorkingDayCalendar()
            assert await calendar.refresh(pool) == [2031]
            assert calendar.source(2031) == "loaded" and calendar.version(2031) == 2
        finally:
            await pool.close()
