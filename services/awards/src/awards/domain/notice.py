"""The public notice (公示) before designation (docs/awards.md, "The workflow").

Counted from the day after publication; its length and unit are programme settings. It ends at
the end of its last day (00:00 China time the next day). An objection pauses it: the days
counted before the day the objection was filed are spent; once the objection is dismissed,
the remaining days run from the day after the dismissal. (Our reading: the objection day
itself does not count, so the public never loses a day of notice to a paused period.)
"""

from __future__ import annotations

import datetime as dt

from shared.china_time import CHINA
from shared.programmes.awarding import NoticeUnit, PublicNotice
from shared.working_days import WorkingDayCalendar


def _end_after(
    start: dt.date, days: int, unit: NoticeUnit, calendar: WorkingDayCalendar
) -> dt.date:
    if unit is NoticeUnit.calendar_days:
        return start + dt.timedelta(days=days)
    return calendar.add_working_days(start, days)


def notice_last_day(
    published_on: dt.date, notice: PublicNotice, calendar: WorkingDayCalendar
) -> dt.date:
    """The last day of a notice published on ``published_on``."""
    return _end_after(published_on, notice.length, notice.unit, calendar)


def end_instant(last_day: dt.date) -> dt.datetime:
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), CHINA)


def days_counted(
    published_on: dt.date,
    objection_on: dt.date,
    notice: PublicNotice,
    calendar: WorkingDayCalendar,
) -> int:
    """Days of the notice spent before the day an objection was filed."""
    first, last = published_on + dt.timedelta(days=1), objection_on - dt.timedelta(days=1)
    if notice.unit is NoticeUnit.calendar_days:
        return max(0, (last - first).days + 1)
    return calendar.working_days_between(first, last)


def resumed_last_day(
    resumed_on: dt.date, remaining: int, notice: PublicNotice, calendar: WorkingDayCalendar
) -> dt.date:
    """The last day once a dismissed objection lets the remaining ``remaining`` days run."""
    if remaining <= 0:
        return resumed_on
    return _end_after(resumed_on, remaining, notice.unit, calendar)
