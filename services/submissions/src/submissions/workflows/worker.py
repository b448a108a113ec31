"""The ``worker`` role: runs the deadline clocks, and makes sure every window of the programme
files that has not locked yet has its clock (start-or-reach: one workflow id per window).

Written so a shared worker role can take it over: ``workflows()`` and ``activities(...)`` are
what it registers, ``ensure_clocks`` what it runs at start.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from shared.db.pool import create_pool
from shared.programmes import Programme, load_programmes
from shared.temporal import connect_temporal
from submissions.config import SubmissionsSettings
from submissions.db.repository import window_id_of
from submissions.workflows.activities import ClockActivities
from submissions.workflows.types import TASK_QUEUE, WindowClockInput, workflow_id_of
from submissions.workflows.workflows import WindowClockWorkflow

log = logging.getLogger(__name__)
SWEEP_EVERY = dt.timedelta(hours=1)


def workflows() -> Sequence[type]:
    return [WindowClockWorkflow]


def activities(clock: ClockActivities) -> Sequence[Callable[..., Any]]:
    return [clock.open_if_due, clock.tick]


async def ensure_clocks(
    client: Client,
    programmes: Mapping[str, Programme],
    *,
    now: dt.datetime,
    task_queue: str = TASK_QUEUE,
    retry_max_interval_seconds: float = 600,
) -> list[str]:
    """Start the clock of every window-year that has not locked; a running one is reached."""
    started = []
    for programme in programmes.values():
        for window in programme.reporting_windows:
            for year in window.years():
                if window.schedule(year).locks_at <= now:
                    continue
                window_id = window_id_of(programme.id, window.id, year)
                await client.start_workflow(
                    WindowClockWorkflow.run,
                    WindowClockInput(
                        programme_id=programme.id,
                        window=window.id,
                        year=year,
                        retry_max_interval_seconds=retry_max_interval_seconds,
                    ),
                    id=workflow_id_of(window_id),
                    task_queue=task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                )
                started.append(window_id)
    return started


async def run_worker(settings: SubmissionsSettings, stop: asyncio.Event) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=4)
    client = await connect_temporal(settings.temporal_target, namespace=settings.temporal_namespace)
    clock = ClockActivities(
        pool, lambda: load_programmes(settings.programmes_dir), settings.kafka_topic_prefix
    )
    try:
        async with Worker(
            client, task_queue=TASK_QUEUE, workflows=workflows(), activities=activities(clock)
        ):
            while not stop.is_set():
                clocks = await ensure_clocks(
                    client, load_programmes(settings.programmes_dir), now=dt.datetime.now(dt.UTC)
                )
                log.info("deadline clocks running for %s", clocks)
                try:
                    await asyncio.wait_for(stop.wait(), SWEEP_EVERY.total_seconds())
                except TimeoutError:
                    pass
    finally:
        await pool.close()
