"""The statistics deadline clock on real PostgreSQL and Temporal's time-skipping server:
reminders for an open month name the reporters of its frozen roster still missing, each
point once; after the report arrives it is no longer missing; the clock sleeps to the next
point (docs/statistics.md, *Reminders*)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from temporalio.worker import Worker

from shared.db.pool import create_pool
from shared.programmes import CHINA_STANDARD_TIME, load_programmes
from submissions.db import MIGRATIONS_DIR
from submissions.workflows.statistics_activities import StatisticsClockActivities
from submissions.workflows.types import StatisticsTickInput, statistics_workflow_id
from submissions.workflows.worker import WORKFLOWS, ensure_statistics_clocks
from tests.support.databases import drop_database, migrated_database
from tests.support.polling import until
from tests.support.stack import Stack
from tests.support.time_skipping import pinned_environment, skip_to

QINGHAI = "qinghai-2024-2026"
CHENGDONG, DATONG, HAIDONG_LEDU = "630102", "630121", "630202"


def cst(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=CHINA_STANDARD_TIME)  # type: ignore[misc]


@pytest.fixture
async def pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    dsn = await migrated_database(stack, "statistics_clock", MIGRATIONS_DIR)
    created = await create_pool(dsn, min_size=1, max_size=4)
    yield created
    await created.close()
    await drop_database(stack, dsn)


async def _events(pool: asyncpg.Pool, period: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT event_type, payload FROM outbox WHERE event_type LIKE "
        "'submissions.statistics.deadline%' ORDER BY id"
    )
    found = [{"type": r["event_type"], **json.loads(bytes(r["payload"]))["data"]} for r in rows]
    return [e for e in found if e["period"] == period]


async def test_reminders_name_the_missing_reporters_once_each(
    pool: asyncpg.Pool, topic_prefix: str
) -> None:
    for code in (CHENGDONG, DATONG, HAIDONG_LEDU):
        await pool.execute(
            "INSERT INTO statistics_reporters (programme_id, reporter_id, reporter_kind, "
            "region_code, city_code, registered_at, registered_by) "
            "VALUES ($1, $2, 'county', $2, $3, $4, 'province')",
            QINGHAI,
            code,
            code[:4] + "00",
            cst(2025, 1, 20),
        )
    programmes = {QINGHAI: load_programmes("shared/programmes")[QINGHAI]}
    clock = StatisticsClockActivities(pool, lambda: programmes, topic_prefix)

    first = await clock.tick(StatisticsTickInput(programme_id=QINGHAI, now=cst(2025, 2, 8, 0, 1)))
    assert "2025-01/before-3d" in first.emitted and first.finished is False
    assert first.wake_at == cst(2025, 2, 10)
    [reminder] = await _events(pool, "2025-01")
    assert reminder["type"] == "submissions.statistics.deadline_approaching.v1"
    assert (reminder["expected"], reminder["missing"], reminder["late"]) == (3, 3, False)
    assert {c["city_code"]: c["reporter_ids"] for c in reminder["missing_by_city"]} == {
        "630100": [CHENGDONG, DATONG],
        "630200": [HAIDONG_LEDU],
    }
    again = await clock.tick(StatisticsTickInput(programme_id=QINGHAI, now=cst(2025, 2, 8, 0, 2)))
    assert again.emitted == []

    await pool.execute(
        "INSERT INTO statistics_reports (id, programme_id, period, reporter_id, reporter_kind, "
        "region_code, city_code, state) VALUES ($1, $2, '2025-01', $3, 'county', $3, '630100', "
        "'submitted')",
        uuid.uuid4(),
        QINGHAI,
        DATONG,
    )
    # Down over the 1-day reminder: at the due time only "due" is sent, late.
    due = await clock.tick(StatisticsTickInput(programme_id=QINGHAI, now=cst(2025, 2, 11, 0, 1)))
    assert "2025-01/due" in due.emitted and "2025-01/before-1d" in due.skipped
    passed = (await _events(pool, "2025-01"))[-1]
    assert passed["type"] == "submissions.statistics.deadline_passed.v1"
    assert (passed["point"], passed["missing"], passed["late"]) == ("due", 2, True)
    audited = await pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE action LIKE 'statistics_deadline.%' "
        "AND resource_id = $1",
        f"{QINGHAI}/2025-01",
    )
    assert audited == 2


async def test_the_workflow_sends_each_point_of_a_month_on_time(
    pool: asyncpg.Pool, topic_prefix: str
) -> None:
    async with pinned_environment() as env:
        start = await env.get_current_time()
        year = start.astimezone(CHINA_STANDARD_TIME).year + 1
        qinghai = load_programmes("shared/programmes")[QINGHAI]
        period = qinghai.period.model_copy(
            update={"start": dt.date(year, 1, 1), "end": dt.date(year, 12, 31)}
        )
        programmes = {QINGHAI: qinghai.model_copy(update={"period": period})}
        clock = StatisticsClockActivities(pool, lambda: programmes, topic_prefix)
        queue = f"statistics-clock-{uuid.uuid4().hex[:8]}"
        march = f"{year}-03"

        async def points() -> dict[str, tuple[str, bool]]:
            rows = await pool.fetch(
                "SELECT point_key, outcome, late FROM statistics_clock_points "
                "WHERE programme_id = $1 AND period = $2",
                QINGHAI,
                march,
            )
            return {r["point_key"]: (r["outcome"], r["late"]) for r in rows}

        async def advance_to(at: dt.datetime) -> None:
            await skip_to(env, at)

        async with Worker(
            env.client, task_queue=queue, workflows=list(WORKFLOWS), activities=[clock.tick]
        ):
            started = await ensure_statistics_clocks(
                env.client, programmes, now=start, task_queue=queue
            )
            assert started == [f"statistics/{QINGHAI}"]
            handle = env.client.get_workflow_handle(statistics_workflow_id(QINGHAI))
            await advance_to(cst(year, 4, 1, 12))
            await advance_to(cst(year, 4, 20))
            await until(lambda: _complete(points))
            await handle.terminate("test over")
        assert await points() == {
            key: ("emitted", False)
            for key in ("before-3d", "before-1d", "due", "after-1d", "after-3d")
        }
        assert len(await _events(pool, march)) == 5


async def _complete(points: Any) -> bool:
    return "after-3d" in await points()
