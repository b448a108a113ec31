"""The deadline clock on the time-skipping Temporal server, with the project's own workflow and
activities against real PostgreSQL: a whole window from before it opens (T−41 days) to its
lock, with a programme-file change mid-window and a stretch where the worker cannot work.

The time-skipping server does not advance while a workflow task waits for a worker, so a
stopped worker would stop its time too. The stretch is therefore the worker's database being
unreachable for nine days: every activity attempt fails and Temporal retries it, as it would
for a worker that is down; the attempt that finally runs computes with its own time.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from shared.db.pool import create_pool
from shared.events.designations import DesignationGranted
from shared.programmes import CHINA_STANDARD_TIME, load_programmes
from submissions.db import MIGRATIONS_DIR
from submissions.handlers.common import Context
from submissions.handlers.roster import apply_designation_event
from submissions.workflows.activities import ClockActivities
from submissions.workflows.worker import WORKFLOWS, clock_activities, ensure_clocks
from tests.support.databases import drop_database, migrated_database
from tests.support.polling import until
from tests.support.stack import Stack
from tests.support.time_skipping import pinned_environment, skip_to

PROGRAMME = "guizhou-shibaiqianwan-2023"
SOURCE = Path("shared/programmes") / f"{PROGRAMME}.yaml"


def programme_file(directory: Path, year: int, before_days: str) -> None:
    """Guizhou's file with one window-year, ``year``, and the given reminder offsets."""
    text = SOURCE.read_text(encoding="utf-8")
    text = text.replace("  end: 2025-12-31", f"  end: {year}-12-31")
    text = text.replace("    first_year: 2023", f"    first_year: {year}")
    text = text.replace("    last_year: 2025", f"    last_year: {year}")
    text = text.replace("      before_days: [30, 14, 7, 3, 1]", f"      before_days: {before_days}")
    (directory / SOURCE.name).write_text(text, encoding="utf-8")


@pytest.fixture
async def clock_db(stack: Stack) -> AsyncIterator[str]:
    dsn = await migrated_database(stack, "clock", MIGRATIONS_DIR)
    yield dsn
    await drop_database(stack, dsn)


async def test_a_whole_window_with_the_worker_down(
    clock_db: str, tmp_path: Path, topic_prefix: str
) -> None:
    async with pinned_environment() as env:
        start = await env.get_current_time()
        year = start.astimezone(CHINA_STANDARD_TIME).year + 1  # opens in the future
        programme_file(tmp_path, year, "[30, 14, 7, 3, 1]")
        due = dt.datetime(year, 12, 11, tzinfo=CHINA_STANDARD_TIME)
        window_id = f"{PROGRAMME}.annual-report.{year}"
        pool = await create_pool(clock_db, min_size=1, max_size=4)
        context = Context(load_programmes(tmp_path), topic_prefix)
        async with pool.acquire() as connection, connection.transaction():
            for number, region in enumerate(("520102", "520103", "520302")):
                event = DesignationGranted(
                    designation_id=f"D{number}",
                    programme_id=PROGRAMME,
                    category="park",
                    entity_type="park",
                    entity_id=f"P{number}",
                    region_code=region,
                    designated_on=dt.date(year - 1, 5, 1),
                )
                await apply_designation_event(connection, context, event, at=start)
        clock = ClockActivities(pool, lambda: load_programmes(tmp_path), topic_prefix)
        queue = f"clock-{uuid.uuid4().hex[:8]}"

        def worker(client: Client) -> Worker:
            return Worker(
                client,
                task_queue=queue,
                workflows=list(WORKFLOWS),
                activities=clock_activities(clock),
            )

        async def points() -> dict[str, tuple[str, bool]]:
            rows = await pool.fetch(
                "SELECT point_key, outcome, late FROM clock_points WHERE window_id = $1", window_id
            )
            return {r["point_key"]: (r["outcome"], r["late"]) for r in rows}

        async def advance_to(at: dt.datetime) -> None:
            await skip_to(env, at)

        try:
            async with worker(env.client):
                started = await ensure_clocks(
                    env.client,
                    context.programmes,
                    now=start,
                    task_queue=queue,
                    retry_max_interval_seconds=3600,
                )
                assert window_id in started
                again = await ensure_clocks(
                    env.client, context.programmes, now=start, task_queue=queue
                )
                assert again == started  # reached, not started twice
                handle: WorkflowHandle = env.client.get_workflow_handle(
                    f"submissions-window-clock-{window_id}"
                )
                await advance_to(due - dt.timedelta(days=60))  # in steps: shorter calls
                await advance_to(due - dt.timedelta(days=25))
                await until(lambda: _has(points, "before-30d"))
                opened = await pool.fetchrow("SELECT * FROM windows WHERE id = $1", window_id)
                assert opened["opened_by"] == "clock"
                # The province changes the offsets: 14 days goes, 10 days comes.
                programme_file(tmp_path, year, "[30, 10, 7, 3, 1]")
                await advance_to(due - dt.timedelta(days=9, hours=12))
                await until(lambda: _has(points, "before-10d"))
                # Down from T−9.5 days to T−14 hours: 7, 3 and 1 days pass unseen.
                clock._pool = Unreachable()  # type: ignore[assignment]
                await advance_to(due - dt.timedelta(hours=14))
                assert "before-7d" not in await points()
                clock._pool = pool
                await advance_to(due - dt.timedelta(hours=12))  # the next retry runs
                await until(lambda: _has(points, "before-1d"))
                await advance_to(dt.datetime(year + 1, 1, 1, 1, tzinfo=CHINA_STANDARD_TIME))
                await until(lambda: _has(points, "after-7d"))
                assert await handle.result() == "locked"
            seen = await points()
        finally:
            await pool.close()
        assert seen == {
            "before-30d": ("emitted", False),
            "before-10d": ("emitted", False),
            "before-7d": ("skipped", False),
            "before-3d": ("skipped", False),
            "before-1d": ("emitted", True),
            "due": ("emitted", False),
            "after-1d": ("emitted", False),
            "after-3d": ("emitted", False),
            "after-7d": ("emitted", False),
        }
        connection = await asyncpg.connect(clock_db)
        try:
            events = await connection.fetch(
                "SELECT event_type, payload FROM outbox"
                " WHERE topic LIKE '%submissions.deadline' AND message_key = $1 ORDER BY id",
                window_id,
            )
            locked = await connection.fetchval(
                "SELECT count(*) FROM outbox"
                " WHERE event_type = 'submissions.window.locked.v1' AND message_key = $1",
                window_id,
            )
        finally:
            await connection.close()
        emitted = [json.loads(bytes(e["payload"]))["data"] for e in events]
        assert [e["point"] for e in emitted] == [
            "before-30d",
            "before-10d",
            "before-1d",
            "due",
            "after-1d",
            "after-3d",
            "after-7d",
        ]
        assert [e["late"] for e in emitted] == [False, False, True, False, False, False, False]
        assert emitted[0]["missing"] == 3
        assert {b["region_code"] for b in emitted[0]["missing_by_bureau"]} == {
            "520100",
            "520102",
            "520103",
            "520300",
            "520302",
        }
        assert locked == 1


class Unreachable:
    """Stands for the worker's pool while its database is down."""

    def __getattr__(self, name: str) -> object:
        raise ConnectionRefusedError("PostgreSQL is down (test)")


async def _has(points, key: str) -> bool:  # type: ignore[no-untyped-def]
    return key in await points()
