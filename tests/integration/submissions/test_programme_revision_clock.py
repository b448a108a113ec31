"""A province's revisions reach the deadline clocks without a restart (docs/programmes.md,
"Revisions"), on the time-skipping server with the worker's real activities and its
``keep_clocks`` beside them: the province revises Guizhou through the registry API (a real
token) to carry its period, and the report, into 2026; the submissions consumer keeps the
revision; the 2026 window, owed by nobody before, gets its clock at once. Then it changes the
reminder offsets (14 days goes, 10 days comes) and the running clock reminds on the new ones."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from temporalio.worker import Worker

from shared.db.pool import create_pool
from shared.events.designations import DesignationGranted
from shared.programmes import CHINA_STANDARD_TIME
from shared.programmes.catalogue import ProgrammeCatalogue
from submissions.consumers import designations
from submissions.db import MIGRATIONS_DIR
from submissions.domain.windows import clock_years
from submissions.handlers.common import Context
from submissions.handlers.roster import apply_designation_event
from submissions.workflows.activities import ClockActivities
from submissions.workflows.statistics_activities import StatisticsClockActivities
from submissions.workflows.worker import WORKFLOWS, clock_activities, keep_clocks
from tests.support.databases import drop_database, migrated_database
from tests.support.polling import until
from tests.support.programme_revisions import (
    GUIZHOU,
    add_2026_report,
    consume_revisions,
    publish_outbox,
    registry_service,
    revise,
)
from tests.support.stack import Stack
from tests.support.time_skipping import PINNED_START, clock_from, pinned_environment, skip_to

PROGRAMMES = "shared/programmes"
WINDOW_2026 = f"{GUIZHOU}.annual-report.2026"
DUE_2026 = dt.datetime(2026, 12, 11, tzinfo=CHINA_STANDARD_TIME)  # the end of 10 December


@pytest.fixture
async def clock_pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    dsn = await migrated_database(stack, "revclock", MIGRATIONS_DIR)
    pool = await create_pool(dsn, min_size=1, max_size=6)
    yield pool
    await pool.close()
    await drop_database(stack, dsn)


def new_offsets(definition: dict[str, Any]) -> None:
    definition["reporting_windows"][0]["reminders"]["before_days"] = [30, 10, 7, 3, 1]


async def test_revisions_reach_the_clocks_without_a_restart(
    stack: Stack,
    clock_pool: asyncpg.Pool,
    topic_prefix: str,
    signing_keys: tuple[str, str],
    token_for: Callable[..., str],
) -> None:
    prefix = f"{topic_prefix}clock{uuid.uuid4().hex[:6]}."
    catalogue = ProgrammeCatalogue.from_files(PROGRAMMES)
    context = Context(catalogue, prefix)
    shipped = catalogue[GUIZHOU]
    # As shipped, 2026 is past the period and nobody is designated: no clock is owed for it
    # until the revision carries the period (and the report) into 2026.
    assert not clock_years(
        shipped.reporting_window("annual-report"),
        period_end=shipped.period.end,
        now=PINNED_START,
        designations_in_force=False,
    )

    async def designate() -> None:
        async with clock_pool.acquire() as connection, connection.transaction():
            grant = DesignationGranted(
                designation_id="D-rev",
                programme_id=GUIZHOU,
                category="park",
                entity_type="park",
                entity_id="P-rev",
                region_code="520102",
                designated_on=dt.date(2026, 5, 1),
            )
            await apply_designation_event(connection, context, grant, at=PINNED_START)

    province = {
        "Authorization": f"Bearer {token_for(roles=['province_admin'], region_code='520000')}"
    }

    async def points() -> dict[str, str]:
        rows = await clock_pool.fetch(
            "SELECT point_key, outcome FROM clock_points WHERE window_id = $1", WINDOW_2026
        )
        return {row["point_key"]: row["outcome"] for row in rows}

    async def revise_and_deliver(registry: Any, registry_dsn: str, change: Any) -> None:
        response = revise(registry, province, change)
        assert response.status_code == 200, response.text
        revision = response.json()["revision"]
        assert await publish_outbox(stack, registry_dsn) >= 1

        async def kept() -> bool:
            return bool(catalogue.revision(GUIZHOU) == revision)

        await consume_revisions(
            stack,
            clock_pool,
            name="submissions",
            prefix=prefix,
            done=kept,
            handlers=designations.handlers(context),
        )

    async with pinned_environment() as env:
        queue = f"revclock-{uuid.uuid4().hex[:8]}"
        clock = ClockActivities(clock_pool, lambda: catalogue, prefix)
        statistics = StatisticsClockActivities(clock_pool, lambda: catalogue, prefix)
        stop = asyncio.Event()
        async with (
            Worker(
                env.client,
                task_queue=queue,
                workflows=list(WORKFLOWS),
                activities=[*clock_activities(clock), statistics.tick],
            ),
            registry_service(stack, prefix=prefix, public_key=signing_keys[1]) as (
                registry,
                registry_dsn,
            ),
        ):
            # the worker's own programmes stay as shipped: the consumer keeps the revisions
            keeper = asyncio.create_task(
                keep_clocks(
                    env.client,
                    clock_pool,
                    catalogue,
                    stop=stop,
                    refresh_seconds=0.2,
                    reconcile_seconds=3600,
                    task_queue=queue,
                    clock=clock_from(PINNED_START),
                )
            )
            try:
                await revise_and_deliver(registry, registry_dsn, add_2026_report)

                async def opened() -> bool:
                    row = await clock_pool.fetchrow(
                        "SELECT opened_by FROM windows WHERE id = $1", WINDOW_2026
                    )
                    return row is not None and row["opened_by"] == "clock"

                await until(opened, message="the 2026 window got no clock")
                await designate()  # a reporter, on the opened window's roster
                await skip_to(env, DUE_2026 - dt.timedelta(days=25))
                await until(lambda: _has(points, "before-30d"))

                await revise_and_deliver(registry, registry_dsn, new_offsets)
                await skip_to(env, DUE_2026 - dt.timedelta(days=9, hours=12))
                await until(lambda: _has(points, "before-10d"))
                assert "before-14d" not in await points()
            finally:
                stop.set()
                await keeper


async def _has(points: Callable[[], Any], key: str) -> bool:
    return key in await points()
