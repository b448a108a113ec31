"""Working days (docs/notifications.md, "Working days"; docs/calendar.md): a pre-due reminder
that falls on a non-working day is sent at 09:00 China time on the working day before; points
at or after the due time never move. The calendar and the move itself are
``shared.working_days``'s (the submissions deadline clock plans its points with them too); this
module only says which reminders move. By the time an event arrives here its point is usually
on a working day already, and this is a no-op.

A move that needs a year the calendar lacks is not made: the reminder goes out at its point's
time and names the year (``calendar_missing``), which the delivery ledger keeps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.working_days import CalendarMissing, WorkingDayCalendar

__all__ = ["ReminderTime", "reminder_time"]


@dataclass(frozen=True)
class ReminderTime:
    at: dt.datetime
    # The year whose calendar the move needed and lacked: ``at`` is the point's own time.
    calendar_missing: int | None = None


def reminder_time(
    point_at: dt.datetime,
    due_at: dt.datetime,
    *,
    shift: bool,
    calendar: WorkingDayCalendar | None = None,
) -> ReminderTime:
    """``calendar``: the process's (loaded years included); without one, the library's only."""
    if not shift or point_at >= due_at:
        return ReminderTime(point_at)
    try:
        return ReminderTime((calendar or WorkingDayCalendar()).working_day_before(point_at))
    except CalendarMissing as missing:
        return ReminderTime(point_at, calendar_missing=missing.year)
