"""The deadline clock's steps for one reporting window (docs/submissions.md): open the window
when it is due, then at each tick emit the point due now (late after downtime), record the
superseded ones as skipped and lock the window at its lock time.

Idempotent: a point is written once, under the primary key (window, point), in the
transaction that writes its outbox event and audit record. The clock's activities call these
with the programme files as they read them at each call (``workflows.activities``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from shared import audit, metrics
from shared.events.envelope import DomainEvent
from shared.events.submissions import DeadlineApproaching, DeadlinePassed, MissingReporters
from shared.programmes import Programme
from submissions.db import queries
from submissions.db.repository import record_clock_point
from submissions.domain.clock import (
    ClockPoint,
    PointKind,
    PointOutcome,
    clock_points,
    emitted_details,
    next_step,
)
from submissions.domain.completeness import Completeness
from submissions.domain.errors import Refused
from submissions.domain.windows import YEAR_NOT_OWED, window_id_of
from submissions.handlers.common import CLOCK_PROCESS, Context, NotFound, Pool, load_window
from submissions.handlers.completeness import window_completeness
from submissions.handlers.windows import CLOCK_ACTOR, AlreadyOpen, lock_window, open_window
from submissions.workflows.types import OpenResult, TickResult


async def open_if_due(
    pool: Pool,
    context: Context,
    *,
    programme_id: str,
    window: str,
    year: int,
    requested_at: dt.datetime,
    now: dt.datetime,
) -> OpenResult:
    """Open the window when its time has come (``now``, this attempt's time) unless it is
    open already; it opens as of ``requested_at`` (the workflow's time). ``gone`` when the
    programme file no longer has this window-year, or the year is not owed when it comes (past
    the programme period with no designation of its categories in force any more)."""
    window_id = window_id_of(programme_id, window, year)
    programme = context.programmes.get(programme_id)
    try:
        if programme is None:
            raise KeyError(programme_id)
        schedule = programme.reporting_window(window).schedule(year)
    except KeyError:
        return OpenResult(
            window_id=window_id, open=False, opens_at=requested_at, locks_at=requested_at, gone=True
        )
    existing = await pool.fetchrow(queries.WINDOW, window_id)
    if existing is None and now >= schedule.opens_at:
        try:
            existing = await open_window(
                pool,
                context,
                programme_id=programme_id,
                window_slug=window,
                year=year,
                opened_by=CLOCK_ACTOR,
                now=requested_at,
            )
        except AlreadyOpen as exc:  # the province opened it meanwhile
            existing = exc.row
        except Refused as refused:
            if refused.code not in YEAR_NOT_OWED:
                raise
            return OpenResult(
                window_id=window_id,
                open=False,
                opens_at=requested_at,
                locks_at=requested_at,
                gone=True,
            )
    if existing is None:
        return OpenResult(
            window_id=window_id, open=False, opens_at=schedule.opens_at, locks_at=schedule.locks_at
        )
    return OpenResult(
        window_id=window_id, open=True, opens_at=existing["opens_at"], locks_at=existing["locks_at"]
    )


async def windows_with_designations_in_force(
    pool: Pool, programmes: Mapping[str, Programme]
) -> frozenset[tuple[str, str]]:
    """The (programme id, window id) of every reporting window with a designation of one of
    its categories in force now: past the programme period, such a window's year is owed."""
    in_force = {
        (row["programme_id"], row["category"])
        for row in await pool.fetch(queries.CATEGORIES_IN_FORCE)
    }
    return frozenset(
        (programme.id, window.id)
        for programme in programmes.values()
        for window in programme.reporting_windows
        if any((programme.id, category) in in_force for category in window.reporters)
    )


async def tick(pool: Pool, context: Context, *, window_id: str, now: dt.datetime) -> TickResult:
    """Emit the point due now (late after downtime), record the superseded ones as skipped,
    lock the window at its lock time; answer when to wake next."""
    async with pool.acquire() as connection, connection.transaction():
        try:
            parts = await load_window(connection, context, window_id, for_update=True)
        except NotFound:
            return TickResult(locked=True)  # nothing to watch any more
        await context.calendar.refresh(connection)
        points = clock_points(
            parts.schedule.due_at,
            parts.schedule.reminders,
            shift_to_working_day=parts.programme.notifications.shift_reminders_to_working_day,
            calendar=context.calendar,
        )
        done = {
            row["point_key"]: PointOutcome(row["outcome"])
            for row in await connection.fetch(queries.CLOCK_POINTS, window_id)
        }
        step = next_step(points, now=now, done=done)
        for point in step.skip:
            await record_clock_point(
                connection,
                window_id=window_id,
                key=point.key,
                outcome=PointOutcome.skipped.value,
                at=point.at,
                late=False,
            )
        emitted = None
        if step.emit is not None and await record_clock_point(
            connection,
            window_id=window_id,
            key=step.emit.key,
            outcome=PointOutcome.emitted.value,
            at=step.emit.at,
            late=step.late,
        ):
            counts = await window_completeness(connection, parts, as_of=now)
            metrics.record_window_completeness(window_id, parts.schedule.due_at, counts)
            event = _deadline_event(window_id, step.emit, step.late, parts.schedule.due_at, counts)
            await context.publish(connection, [event])
            await audit.record_change_by(
                connection,
                CLOCK_PROCESS,
                f"deadline.{step.emit.kind.value}",
                audit.Resource("reporting_window", window_id, parts.programme.jurisdiction),
                details=emitted_details(
                    step.emit, late=step.late, skipped=step.skip, missing=counts.province.missing
                ),
            )
            emitted = step.emit.key
        locks_at = parts.row["locks_at"]
    locked = now >= locks_at
    if locked:  # the event is written by the one call that locks it
        await lock_window(pool, context, window_id=window_id, now=now)
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
