"""Pre-due reminders move to the working day before (issue 11, Working days); the deadline
clock of the submissions service plans its points with the same rule (issue 9, The deadline
clock), so a reminder is never sent on a Sunday or during Spring Festival."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.china_time import CHINA
from shared.working_days import WORKDAY_MORNING, is_working_day, working_day_before


def cst(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=CHINA)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 2, 13), True),  # Friday
        (dt.date(2026, 2, 14), True),  # Saturday make-up workday (调休) before Spring Festival
        (dt.date(2026, 2, 16), False),  # Spring Festival holiday, a Monday
        (dt.date(2025, 11, 30), False),  # Sunday
        (dt.date(2025, 10, 1), False),  # National Day
    ],
)
def test_the_state_council_calendar_decides_what_a_working_day_is(
    day: dt.date, working: bool
) -> None:
    assert is_working_day(day) is working


def test_a_point_on_a_working_day_keeps_its_time() -> None:
    assert working_day_before(cst(2025, 12, 3, 0, 0)) == cst(2025, 12, 3, 0, 0)


def test_a_point_on_a_sunday_moves_to_friday_morning() -> None:
    assert working_day_before(cst(2025, 11, 30, 0, 0)) == dt.datetime.combine(
        dt.date(2025, 11, 28), WORKDAY_MORNING, tzinfo=CHINA
    )


def test_a_point_during_spring_festival_moves_to_the_make_up_saturday() -> None:
    assert working_day_before(cst(2026, 2, 18, 0, 0)).date() == dt.date(2026, 2, 14)


def test_a_utc_instant_is_judged_by_its_china_date() -> None:
    # 2025-11-29T16:00Z is Sunday 00:00 in China: moved; 2025-11-28T15:59Z is Friday there.
    sunday = dt.datetime(2025, 11, 29, 16, 0, tzinfo=dt.UTC)
    assert working_day_before(sunday).date() == dt.date(2025, 11, 28)
    friday = dt.datetime(2025, 11, 28, 15, 59, tzinfo=dt.UTC)
    assert working_day_before(friday) == friday
