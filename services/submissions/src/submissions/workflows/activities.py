"""The deadline clock's activities: each calls its use case (``handlers.clock``) with the
programme files as read at this call, so changed offsets for an open window take effect
without restarting anything. ``now`` is the workflow's clock (``workflow.now()``); an attempt
retried later computes with its own time (``attempt_time``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from temporalio import activity

from shared.programmes import Programme
from shared.working_days import WorkingDayCalendar
from submissions.handlers import clock
from submissions.handlers.common import DEFAULT_EVENT_SOURCE, Context, Pool
from submissions.workflows.types import OpenInput, OpenResult, TickInput, TickResult


def attempt_time(requested: dt.datetime) -> dt.datetime:
    """The workflow's ``now``, or this attempt's scheduled time when later: an attempt retried
    after the database or the service was down computes with the time it actually runs."""
    try:
        scheduled = activity.info().current_attempt_scheduled_time
    except RuntimeError:  # called outside an activity (tests of the method itself)
        return requested
    return max(requested, scheduled) if scheduled else requested


class ProgrammeActivities:
    """What a clock's activities are built with (by ``submissions.bootstrap``): the pool, the
    programme files (read again on every call), where the events they write go, and the
    process's working-day calendar (refreshed by each tick)."""

    def __init__(
        self,
        pool: Pool,
        programmes: Callable[[], Mapping[str, Programme]],
        topic_prefix: str = "",
        event_source: str = DEFAULT_EVENT_SOURCE,
        *,
        calendar: WorkingDayCalendar | None = None,
    ) -> None:
        self._pool = pool
        self._programmes = programmes
        self._topic_prefix = topic_prefix
        self._event_source = event_source
        self._calendar = calendar or WorkingDayCalendar()

    def _context(self) -> Context:
        return Context(
            self._programmes(), self._topic_prefix, self._event_source, calendar=self._calendar
        )


class ClockActivities(ProgrammeActivities):
    @activity.defn(name="submissions.open_window_if_due")
    async def open_if_due(self, request: OpenInput) -> OpenResult:
        return await clock.open_if_due(
            self._pool,
            self._context(),
            programme_id=request.programme_id,
            window=request.window,
            year=request.year,
            requested_at=request.now,
            now=attempt_time(request.now),
        )

    @activity.defn(name="submissions.clock_tick")
    async def tick(self, request: TickInput) -> TickResult:
        """Emit the point due now (late after downtime), record the superseded ones as skipped,
        lock the window at its lock time; answer when to wake next."""
        return await clock.tick(
            self._pool, self._context(), window_id=request.window_id, now=attempt_time(request.now)
        )
