"""The deadline clock's schedule: which points exist, and which to emit now.

Points: each offset before the due time, the due time, each offset after it (the programme
file's ``reminders``; defaults 30, 14, 7, 3, 1 days before and 1, 3, 7 after, configurable, see
docs/submissions.md). The due time is the 12-10 rule (004_9c19d9a85d8c1f73.txt 三(三)).

The plan is recomputed from data every time, so changed offsets for an open window take effect
without restarting anything. Recovery after downtime: of the points missed, only the most recent
is emitted (``late=True``); the superseded ones are recorded as skipped, so there is no burst of
stale reminders. A point at or before the last handled one (an offset added after its time
passed) is skipped too. Each point has a stable ``key`` so it is emitted at most once.

Working days (``shared.working_days``): when the programme says so (``notifications.
shift_reminders_to_working_day``, default on), a point before the due time that falls on a
non-working day fires at 09:00 on the working day before; points that land on the same instant
(a long holiday) fire once, under the earliest offset's key. The due time and later points
never move. A point whose move needs a year the calendar lacks (``CalendarMissing``) keeps its
unshifted time and names that year (``calendar_missing``); once the province loads the year,
the next plan moves it (docs/calendar.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from shared.programmes import ReminderOffsets
from shared.working_days import CalendarMissing, WorkingDayCalendar
from submissions.domain.deadlines import require_aware

ON_TIME_TOLERANCE = dt.timedelta(minutes=5)  # a timer that fires this late is still "on time"


class PointKind(StrEnum):
    approaching = "approaching"  # submissions.deadline.approaching
    due = "due"  # submissions.deadline.passed (offset 0)
    passed = "passed"  # submissions.deadline.passed


class PointOutcome(StrEnum):
    emitted = "emitted"
    skipped = "skipped"


@dataclass(frozen=True)
class ClockPoint:
    key: str
    kind: PointKind
    offset_days: int  # negative before the due time
    at: dt.datetime
    # The year whose calendar the move to a working day needed and lacked: ``at`` is unshifted.
    calendar_missing: int | None = None


@dataclass(frozen=True)
class ClockStep:
    """What to do now: emit one point (maybe ``late``), record ``skip``, then sleep to ``wake_at``."""

    emit: ClockPoint | None
    late: bool
    skip: tuple[ClockPoint, ...]
    wake_at: dt.datetime | None


def clock_points(
    due_at: dt.datetime,
    reminders: ReminderOffsets,
    *,
    shift_to_working_day: bool = False,
    calendar: WorkingDayCalendar | None = None,
) -> tuple[ClockPoint, ...]:
    """``calendar``: the process's (loaded years included); without one, the library's years
    only."""
    require_aware(due_at, field="due_at")
    working = calendar or WorkingDayCalendar()
    points: list[ClockPoint] = []
    for days in sorted(reminders.before_days, reverse=True):
        at, missing = due_at - dt.timedelta(days=days), None
        if shift_to_working_day:
            try:
                at = working.working_day_before(at)
            except CalendarMissing as lacking:
                missing = lacking.year
        if any(point.at == at for point in points):
            continue  # a holiday folded this reminder onto an earlier one: send it once
        points.append(ClockPoint(f"before-{days}d", PointKind.approaching, -days, at, missing))
    points.append(ClockPoint("due", PointKind.due, 0, due_at))
    points += [
        ClockPoint(f"after-{days}d", PointKind.passed, days, due_at + dt.timedelta(days=days))
        for days in reminders.after_days
    ]
    return tuple(sorted(points, key=lambda point: point.at))


def next_step(
    points: tuple[ClockPoint, ...],
    *,
    now: dt.datetime,
    done: Mapping[str, PointOutcome],
    tolerance: dt.timedelta = ON_TIME_TOLERANCE,
) -> ClockStep:
    """``done`` holds every point key already emitted or skipped (kept by the caller)."""
    require_aware(now, field="now")
    handled = [point.at for point in points if point.key in done]
    last_handled = max(handled) if handled else None
    pending = [point for point in points if point.key not in done]
    stale = [p for p in pending if last_handled is not None and p.at <= last_handled]
    reached = [p for p in pending if p not in stale and p.at <= now]
    future = [p.at for p in pending if p.at > now]
    wake_at = min(future) if future else None
    if not reached:
        return ClockStep(emit=None, late=False, skip=tuple(stale), wake_at=wake_at)
    emit = reached[-1]
    late = len(reached) > 1 or now - emit.at > tolerance
    return ClockStep(emit=emit, late=late, skip=(*stale, *reached[:-1]), wake_at=wake_at)


def emitted_details(
    point: ClockPoint, *, late: bool, skipped: tuple[ClockPoint, ...], missing: int
) -> dict[str, object]:
    """The audit record's details of an emitted point; a point kept at its unshifted time for
    want of a calendar names the year (docs/calendar.md)."""
    details: dict[str, object] = {
        "point": point.key,
        "late": late,
        "skipped": [p.key for p in skipped],
        "missing": missing,
    }
    if point.calendar_missing is not None:
        details["calendar_missing"] = point.calendar_missing
    return details
