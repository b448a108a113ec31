"""The public notice's end date on China's working-day calendar, with 调休."""

from __future__ import annotations

import datetime as dt

import pytest

from awards.domain.notice import (
    days_counted,
    end_instant,
    notice_last_day,
    resumed_last_day,
)
from shared.programmes.awarding import NoticeUnit, PublicNotice
from shared.working_days import CalendarMissing, WorkingDayCalendar, YearCalendar

D = dt.date
CALENDAR = WorkingDayCalendar()
FIVE_WORKING = PublicNotice(length=5, unit=NoticeUnit.working_days)
SEVEN_CALENDAR = PublicNotice(length=7, unit=NoticeUnit.calendar_days)


@pytest.mark.parametrize(
    ("published", "notice", "last_day"),
    [
        # ISSUE-10: Fri 13 Feb 2026; Sat 14 Feb is a make-up workday and counts, Spring
        # Festival (15-23 Feb) does not: 14, 24, 25, 26, 27 -> ends 27 Feb.
        (D(2026, 2, 13), FIVE_WORKING, D(2026, 2, 27)),
        # National Day 2025 (1-8 Oct off; Sun 28 Sep and Sat 11 Oct are workdays):
        # published Fri 26 Sep -> 28, 29, 30 Sep, 9, 10 Oct.
        (D(2025, 9, 26), FIVE_WORKING, D(2025, 10, 10)),
        # National Day 2026 (1-7 Oct off; Sun 20 Sep and Sat 10 Oct are workdays):
        # published Tue 29 Sep -> 30 Sep, 8, 9, 10, 12 Oct.
        (D(2026, 9, 29), FIVE_WORKING, D(2026, 10, 12)),
        # An ordinary week: Mon 2 Mar 2026 -> Tue to Fri and Mon.
        (D(2026, 3, 2), FIVE_WORKING, D(2026, 3, 9)),
        # The ministry's 7 calendar days ignore holidays.
        (D(2026, 2, 13), SEVEN_CALENDAR, D(2026, 2, 20)),
    ],
)
def test_notice_last_day(published: dt.date, notice: PublicNotice, last_day: dt.date) -> None:
    assert notice_last_day(published, notice, CALENDAR) == last_day


def test_the_notice_ends_at_midnight_china_time_after_its_last_day() -> None:
    instant = end_instant(D(2026, 2, 27))
    assert instant.isoformat() == "2026-02-28T00:00:00+08:00"


def test_a_year_the_library_lacks_is_an_error_never_a_weekday_guess() -> None:
    with pytest.raises(CalendarMissing) as raised:
        notice_last_day(D(2031, 6, 2), FIVE_WORKING, CALENDAR)
    assert raised.value.year == 2031


def test_a_loaded_year_fills_the_gap() -> None:
    year = YearCalendar(
        year=2031,
        holidays=frozenset({D(2031, 6, 3)}),
        workdays=frozenset({D(2031, 6, 7)}),
    )
    calendar = WorkingDayCalendar.with_years([year])
    # Mon 2 Jun published: 3 Jun holiday; 4, 5, 6, Sat 7 (make-up), 9
    assert notice_last_day(D(2031, 6, 2), FIVE_WORKING, calendar) == D(2031, 6, 9)


def test_a_loaded_year_overrides_the_library() -> None:
    correction = YearCalendar(year=2026, holidays=frozenset({D(2026, 3, 3)}))
    calendar = WorkingDayCalendar.with_years([correction])
    assert not calendar.is_working_day(D(2026, 3, 3))


def test_a_loaded_year_refuses_days_of_another_year() -> None:
    with pytest.raises(ValueError):
        YearCalendar(year=2031, holidays=frozenset({D(2030, 1, 1)}))


def test_an_objection_pauses_and_the_remaining_days_run_after_dismissal() -> None:
    # Published Mon 2 Mar 2026; objection on Thu 5 Mar: Tue 3 and Wed 4 counted (2 of 5).
    spent = days_counted(D(2026, 3, 2), D(2026, 3, 5), FIVE_WORKING, CALENDAR)
    assert spent == 2
    # Dismissed Tue 10 Mar: 3 remaining working days -> 11, 12, 13 Mar.
    assert resumed_last_day(D(2026, 3, 10), 5 - spent, FIVE_WORKING, CALENDAR) == D(2026, 3, 13)
