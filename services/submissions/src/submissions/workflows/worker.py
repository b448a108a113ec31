"""What the shared ``worker`` role runs for submissions (``shared.service.worker``): the
deadline clocks' task queue, workflows and activities (built by ``submissions.bootstrap``),
the start-or-reach of every clock the programmes call for (one workflow id per window, one
statistics clock per programme), and beside the worker, the clocks kept in step with the
programmes' revisions (``keep_clocks``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from shared.programmes import Programme
from shared.programmes.catalogue import ProgrammeCatalogue
from shared.service.worker import WorkerParts
from submissions import bootstrap
from submissions.config import SubmissionsSettings
from submissions.domain.statistics.clock import plan
from submissions.domain.windows import clock_years, window_id_of
from submissions.handlers.clock import windows_with_designations_in_force
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
    "keep_clocks",
    "reschedule_clocks",
]
log = logging.getLogger(__name__)


def clock_activities(clock: ClockActivities) -> list[Callable[..., Any]]:
    return [clock.open_if_due, clock.tick]


async def activities(settings: SubmissionsSettings, pool: Pool) -> WorkerParts:
    """The activities as ``submissions.bootstrap`` builds them for this worker's pool, and
    the clocks kept in step with the programmes beside them."""
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


async def reschedule_clocks(client: Client, programme: Programme, *, now: dt.datetime) -> list[str]:
    """Tell the running clocks of a revised programme's windows to compute their points again
    now (new reminder offsets reach them before their next wake); the windows told. A clock
    that has ended (locked, or its year gone from the programme) is left alone."""
    told = []
    for window in programme.reporting_windows:
        # The years a clock may be running for (those ``ensure_clocks`` starts, an open-ended
        # window's up to the current year): a year without one answers NOT_FOUND.
        years = clock_years(
            window, period_end=programme.period.end, now=now, designations_in_force=True
        )
        for year in years:
            window_id = window_id_of(programme.id, window.id, year)
            handle = client.get_workflow_handle(workflow_id_of(window_id))
            try:
                await handle.signal(WindowClockWorkflow.reschedule)
            except RPCError as exc:
                if exc.status is not RPCStatusCode.NOT_FOUND:
                    raise
                continue
            told.append(window_id)
    return told


async def keep_clocks(
    client: Client,
    pool: Pool,
    programmes: ProgrammeCatalogue,
    *,
    stop: asyncio.Event,
    refresh_seconds: float,
    reconcile_seconds: float,
    task_queue: str = TASK_QUEUE,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> None:
    """Beside the worker until ``stop``: take the programmes' new revisions every
    ``refresh_seconds``; start the clocks they call for (``ensure_clocks``: a window year a
    revision adds gets its clock) at once and every ``reconcile_seconds``; tell the running
    clocks of a revised programme to reschedule. A failed turn (the database or Temporal away)
    is logged and tried again at the next."""
    loop = asyncio.get_running_loop()
    next_reconcile = loop.time()
    revised: set[str] = set()
    while not stop.is_set():
        try:
            revised.update(await programmes.refresh(pool))
            now = clock()
            if revised or loop.time() >= next_reconcile:
                # Past a programme's period a window-year is owed while a designation of its
                # categories is in force: read at every turn, so a new year starts without a restart.
                in_force = await windows_with_designations_in_force(pool, programmes)
                running = await ensure_clocks(
                    client, programmes, now=now, in_force=in_force, task_queue=task_queue
                )
                running += await ensure_statistics_clocks(
                    client, programmes, now=now, task_queue=task_queue
                )
                for programme_id in sorted(revised):
                    told = await reschedule_clocks(client, programmes[programme_id], now=now)
                    log.info("programme %s revised: clocks %s rescheduled", programme_id, told)
                revised.clear()
                next_reconcile = loop.time() + reconcile_seconds
                log.debug("deadline clocks running for %s", running)
        except Exception:  # the loop outlives a failed turn: the next one tries again
            log.exception("the clocks were not reconciled with the programmes")
        try:
            await asyncio.wait_for(stop.wait(), timeout=refresh_seconds)
        except TimeoutError:
            pass
