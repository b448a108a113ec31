"""Working days (issue 11): a pre-due reminder that falls on a non-working day (weekends,
public holidays and 调休 per the State Council calendar, via ``chinesecalendar``) is planned
for 09:00 China time on the working day before. Points at or after the due time never move."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import chinese_calendar

from shared.china_time import CHINA

MORNING = dt.time(9, 0)


def is_working_day(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the library does not cover yet: weekdays work
        return day.weekday() < 5


def reminder_time(
    point_at: dt.datetime,
    due_at: dt.datetime,
    *,
    shift: bool,
    working: Callable[[dt.date], bool] = is_working_day,
) -> dt.datetime:
    if not shift or point_at >= due_at:
        return point_at
    local = point_at.astimezone(CHINA)
    day = local.date()
    if working(day):
        return point_at
    while not working(day):
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, MORNING, tzinfo=CHINA)
