"""The deadline clock's activities. Each is idempotent: a point is written once, under the
primary key (window, point), in the transaction that writes its outbox event.

The programme file is read again on every call, so changed offsets for an open window take
effect without restarting anything. ``now`` is the workflow's clock (``workflow.now()``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import asyncpg
from temporalio import activity

from shared import audit, metrics
from shared.events.envelope import DomainEvent
from shared.events.submissions import DeadlineApproaching, DeadlinePassed, MissingReporters
from shared.messaging.outbox import append_events
from shared.programmes import Programme
from submissions.db import queries
from submissions.db.repository import record_clock_point, window_id_of
from submissions.domain.clock import ClockPoint, PointKind, PointOutcome, clock_points, next_step
from submissions.domain.completeness import Completeness
from submissions.handlers.common import (
    CLOCK_PROCESS,
    DEFAULT_EVENT_SOURCE,
    Context,
    NotFound,
    load_window,
)
from submissions.handlers.completeness import window_completeness
from submissions.handlers.windows import CLOCK_ACTOR, AlreadyOpen, lock_window, open_window
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
    """What a clock's activities are built with: the pool, the programme files (read again on
    every call) and the topic prefix of the events they write."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        programmes: Callable[[], Mapping[str, Programme]],
        topic_prefix: str = "",
        event_source: str = DEFAULT_EVENT_SOURCE,
    ) -> None:
        self._pool = pool
        self._programmes = programmes
        self._topic_prefix = topic_prefix
        self._event_source = event_source


class ClockActivities(ProgrammeActivities):
    def _context(self) -> Context:
        return Context(self._programmes(), self._topic_prefix, self._event_source)

    @activity.defn(name="submissions.open_window_if_due")
    async def open_if_due(self, request: OpenInput) -> OpenResult:
        context = self._context()
        window_id = window_id_of(request.programme_id, request.window, request.year)
        programme = context.programmes.get(request.programme_id)
        try:
            assert programme is not None
            schedule = programme.reporting_window(request.window).schedule(request.year)
        except (AssertionError, KeyError):
            now = request.now
            return OpenResult(
                window_id=window_id, open=False, opens_at=now, locks_at=now, gone=True
            )
        now = attempt_time(request.now)
        existing = await self._pool.fetchrow(queries.WINDOW, window_id)
        if existing is None and now >= schedule.opens_at:
            try:
                existing = await open_window(
                    self._pool,
                    context,
                    programme_id=request.programme_id,
                    window_slug=request.window,
                    year=request.year,
                    opened_by=CLOCK_ACTOR,
                    now=request.now,
                )
            except AlreadyOpen as exc:  # the province opened it meanwhile
                existing = exc.row
        if existing is None:
            return OpenResult(
                window_id=window_id,
                open=False,
                opens_at=schedule.opens_at,
                locks_at=schedule.locks_at,
            )
        return OpenResult(
            window_id=window_id,
            open=True,
            opens_at=existing["opens_at"],
            locks_at=existing["locks_at"],
        )

    @activity.defn(name="submissions.clock_tick")
    async def tick(self, request: TickInput) -> TickResult:
        """Emit the point due now (late after downtime), record the superseded ones as skipped,
        lock the window at its lock time; answer when to wake next."""
        context = self._context()
        now = attempt_time(request.now)
        async with self._pool.acquire() as connection, connection.transaction():
            try:
                parts = await load_window(connection, context, request.window_id, for_update=True)
            except NotFound:
                return TickResult(locked=True)  # nothing to watch any more
            points = clock_points(
                parts.schedule.due_at,
                parts.schedule.reminders,
                shift_to_working_day=parts.programme.notifications.shift_reminders_to_working_day,
            )
            done = {
                row["point_key"]: PointOutcome(row["outcome"])
                for row in await connection.fetch(queries.CLOCK_POINTS, request.window_id)
            }
            step = next_step(points, now=now, done=done)
            for point in step.skip:
                await record_clock_point(
                    connection,
                    window_id=request.window_id,
                    key=point.key,
                    outcome=PointOutcome.skipped.value,
                    at=point.at,
                    late=False,
                )
            emitted = None
            if step.emit is not None and await record_clock_point(
                connection,
                window_id=request.window_id,
                key=step.emit.key,
                outcome=PointOutcome.emitted.value,
                at=step.emit.at,
                late=step.late,
            ):
                counts = await window_completeness(connection, parts, as_of=now)
                metrics.record_window_completeness(request.window_id, parts.schedule.due_at, counts)
                event = _deadline_event(
                    request.window_id, step.emit, step.late, parts.schedule.due_at, counts
                )
                await append_events(
                    connection,
                    [event],
                    source=context.event_source,
                    topic_prefix=context.topic_prefix,
                )
                await audit.record_change(
                    connection,
                    actor=CLOCK_PROCESS,
                    action=f"deadline.{step.emit.kind.value}",
                    resource_type="reporting_window",
                    resource_id=request.window_id,
                    region_code=parts.programme.jurisdiction,
                    details={
                        "point": step.emit.key,
                        "late": step.late,
                        "skipped": [p.key for p in step.skip],
                        "missing": counts.province.missing,
                    },
                )
                emitted = step.emit.key
            locks_at = parts.row["locks_at"]
        locked = now >= locks_at
        if locked:  # the event is written by the one call that locks it
            await lock_window(self._pool, context, window_id=request.window_id, now=now)
        wake = [at for at in (step.wake_at, None if locked else locks_at) if at is not None]
        return TickResult(
            emitted=emitted,
            late=step.late if emitted else False,
            skipped=[p.key for p in step.skip],
            wake_at=min(wake) if wake else None,
            locked=locked,
        )


def _deadline_event(
    window_id: str, point: ClockPoint, late: bool, due_at: dt.datetime, counts: Completeness
) -> DomainEvent:
    levels = {row.region_code: "city" for row in counts.cities} | {
        row.region_code: "county" for row in counts.counties
    }
    fields = {
        "window_id": window_id,
        "point": point.key,
        "offset_days": point.offset_days,
        "point_at": point.at,
        "due_at": due_at,
        "late": late,
        "expected": counts.province.expected,
        "missing": counts.province.missing,
        "missing_by_bureau": [
            MissingReporters(
                region_code=code, level=levels.get(code, "city"), designation_ids=list(ids)
            )
            for code, ids in counts.missing_by_bureau.items()
        ],
    }
    if point.kind is PointKind.approaching:
        return DeadlineApproaching(**fields)
    return DeadlinePassed(**fields)
