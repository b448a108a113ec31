"""What the shared ``worker`` role runs for submissions (``shared.service.worker``): the
deadline clocks' task queue, workflows and activities (built by ``submissions.bootstrap``),
and the start-or-reach of every clock the programme files call for (one workflow id per
window, one statistics clock per programme).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from shared.programmes import Programme
from shared.settings import ServiceSettings
from submissions import bootstrap
from submissions.domain.statistics.clock import plan
from submissions.domain.windows import clock_years, window_id_of
from submissions.handlers.common import Pool
from submissions.workflows.activities import ClockActivities
from submissions.workflows.statistics_workflow import StatisticsClockWorkflow
from submissions.workflows.types import (
    TASK_QUEUE,
    StatisticsClockInput,
    WindowClockInput,
    statistics_workflow_id,
    workflow_id_of,
)
from submissions.workflows.workflows import WindowClockWorkflow

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


async def activities(settings: ServiceSettings, pool: Pool) -> list[Callable[..., Any]]:
    """The activities as ``submissions.bootstrap`` builds them for this worker's pool."""
    return await bootstrap.worker_activities(settings, pool)


async def ensure_clocks(
    client: Client,
    programmes: Mapping[str, Programme],
    *,
    now: dt.datetime,
    in_force: Collection[tuple[str, str]] = frozenset(),
    task_queue: str = TASK_QUEUE,
    retry_max_interval_seconds: float = 600,
) -> list[str]:
    """Start the clock of every window-year that has not locked and is owed
    (``domain.windows.clock_years``): within the programme period as always; past it up to the
    current year, and for an open-ended window only when ``in_force`` lists its (programme id,
    window id): a designation of its categories is in force. A running clock is reached."""
    started = []
    for programme in programmes.values():
        for window in programme.reporting_windows:
            years = clock_years(
                window,
                period_end=programme.period.end,
                now=now,
                designations_in_force=(programme.id, window.id) in in_force,
            )
            for year in years:
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
