"""What the shared ``worker`` role runs for submissions (``shared.service.worker``): the
deadline clocks' task queue, workflow and activities. Building the activities also makes sure
every window of the programme files that has not locked yet has its clock (start-or-reach:
one workflow id per window), so a new worker start repairs a clock lost with Temporal's state.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from shared.programmes import Programme, load_programmes
from shared.settings import ServiceSettings
from shared.temporal import connect_temporal
from submissions.db.repository import window_id_of
from submissions.domain.statistics.clock import plan
from submissions.workflows.activities import ClockActivities
from submissions.workflows.statistics_activities import (
    StatisticsClockActivities,
    StatisticsClockInput,
    statistics_workflow_id,
)
from submissions.workflows.statistics_workflow import StatisticsClockWorkflow
from submissions.workflows.types import TASK_QUEUE, WindowClockInput, workflow_id_of
from submissions.workflows.workflows import WindowClockWorkflow

log = logging.getLogger(__name__)

WORKFLOWS: Sequence[type] = (WindowClockWorkflow, StatisticsClockWorkflow)
__all__ = [
    "TASK_QUEUE",
    "WORKFLOWS",
    "activities",
    "clock_activities",
    "ensure_clocks",
    "ensure_statistics_clocks",
]


def clock_activities(clock: ClockActivities) -> list[Callable[..., Any]]:
    return [clock.open_if_due, clock.tick]


async def activities(settings: ServiceSettings, pool: asyncpg.Pool) -> list[Callable[..., Any]]:
    """The programme files are read on every activity call (changed offsets take effect)."""
    clock = ClockActivities(
        pool,
        lambda: load_programmes(settings.programmes_dir),
        settings.kafka_topic_prefix,
        settings.event_source,
    )
    client = await connect_temporal(settings.temporal_target, namespace=settings.temporal_namespace)
    programmes = load_programmes(settings.programmes_dir)
    now = dt.datetime.now(dt.UTC)
    running = await ensure_clocks(client, programmes, now=now)
    running += await ensure_statistics_clocks(client, programmes, now=now)
    log.info("deadline clocks running for %s", running)
    statistics_clock = StatisticsClockActivities(
        pool,
        lambda: load_programmes(settings.programmes_dir),
        settings.kafka_topic_prefix,
        settings.event_source,
    )
    return [*clock_activities(clock), statistics_clock.tick]


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


async def ensure_statistics_clocks(
    client: Client,
    programmes: Mapping[str, Programme],
    *,
    now: dt.datetime,
    task_queue: str = TASK_QUEUE,
    retry_max_interval_seconds: float = 600,
) -> list[str]:
    """Start the statistics clock of every programme with a period not locked yet."""
    started = []
    for programme in programmes.values():
        statistics = programme.statistics
        if statistics is None or plan(programme, statistics, now=now, done={}).wake_at is None:
            continue
        await client.start_workflow(
            StatisticsClockWorkflow.run,
            StatisticsClockInput(
                programme_id=programme.id, retry_max_interval_seconds=retry_max_interval_seconds
            ),
            id=statistics_workflow_id(programme.id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        started.append(f"statistics/{programme.id}")
    return started
