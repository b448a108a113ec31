"""China's working days (weekends, public holidays and 调休 per the State Council calendar, via
the maintained ``chinesecalendar`` package) and the rule that moves a reminder off a day off.

Used by the submissions deadline clock, which decides *when* a pre-due reminder fires, and by
notifications, which applies the same rule to what it sends: a reminder due on a non-working day
goes out on the working day before, when an office is there to read it (docs/notifications.md,
"Working days"). Whether to move is the programme's
``notifications.shift_reminders_to_working_day`` (default on).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import chinese_calendar

from shared.china_time import CHINA

WORKDAY_MORNING = dt.time(9, 0)

_log = logging.getLogger(__name__)


def is_working_day(day: dt.date) -> bool:
    """A year the library does not cover yet counts Monday to Friday, with a warning: a reminder
    sent on a holiday is better than none. (The awards notice period, which has legal effect,
    refuses such a year instead.)"""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        _log.warning("chinesecalendar does not cover %s; counting weekdays", day.year)
        return day.weekday() < 5


def working_day_before(
    at: dt.datetime, *, working: Callable[[dt.date], bool] = is_working_day
) -> dt.datetime:
    """``at`` itself when its China date is a working day, else 09:00 China time on the last
    working day before it."""
    day = at.astimezone(CHINA).date()
    if working(day):
        return at
    while not working(day):
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, WORKDAY_MORNING, tzinfo=CHINA)
