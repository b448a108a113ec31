"""One working-day calendar for every service (docs/calendar.md): the State Council's years as
the chinesecalendar library knows them, years the province loads over them (a loaded year
wins), and ``CalendarMissing`` for a year it has neither for, never a Monday-to-Friday guess.
Pre-due reminders move to the working day before with it (docs/notifications.md, Working days);
the deadline clock of the submissions service plans its points with the same rule, so a
reminder is never sent on a Sunday or during Spring Festival."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shared.china_time import CHINA
from shared.working_days import (
    LIBRARY_YEARS,
    WORKDAY_MORNING,
    CalendarMissing,
    InvalidCalendarYear,
    WorkingDayCalendar,
    YearCalendar,
    library_year,
    year_problems,
    years_needed,
)

D = dt.date
LIBRARY = WorkingDayCalendar()
# 2027 as the State Council might arrange it (the library stops at 2026): New Year on Friday
# 1 January, Spring Festival 6-12 February with Sunday 31 January and Saturday 20 February worked.
SPRING_2027 = frozenset(D(2027, 2, day) for day in range(6, 13))
YEAR_2027 = YearCalendar(
    year=2027,
    holidays=frozenset({D(2027, 1, 1), *SPRING_2027}),
    workdays=frozenset({D(2027, 1, 31), D(2027, 2, 20)}),
)


def cst(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=CHINA)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 2, 13), True),  # Friday
        (D(2026, 2, 14), True),  # Saturday make-up workday (调休) before Spring Festival
        (D(2026, 2, 16), False),  # Spring Festival holiday, a Monday
        (D(2025, 11, 30), False),  # Sunday
        (D(2025, 10, 1), False),  # National Day
    ],
)
def test_the_state_council_calendar_decides_what_a_working_day_is(
    day: dt.date, working: bool
) -> None:
    assert LIBRARY.is_working_day(day) is working


def test_a_point_on_a_working_day_keeps_its_time() -> None:
    assert LIBRARY.working_day_before(cst(2025, 12, 3, 0, 0)) == cst(2025, 12, 3, 0, 0)


def test_a_point_on_a_sunday_moves_to_friday_morning() -> None:
    assert LIBRARY.working_day_before(cst(2025, 11, 30, 0, 0)) == dt.datetime.combine(
        D(2025, 11, 28), WORKDAY_MORNING, tzinfo=CHINA
    )


def test_a_point_during_spring_festival_moves_to_the_make_up_saturday() -> None:
    assert LIBRARY.working_day_before(cst(2026, 2, 18, 0, 0)).date() == D(2026, 2, 14)


def test_a_utc_instant_is_judged_by_its_china_date() -> None:
    # 2025-11-29T16:00Z is Sunday 00:00 in China: moved; 2025-11-28T15:59Z is Friday there.
    sunday = dt.datetime(2025, 11, 29, 16, 0, tzinfo=dt.UTC)
    assert LIBRARY.working_day_before(sunday).date() == D(2025, 11, 28)
    friday = dt.datetime(2025, 11, 28, 15, 59, tzinfo=dt.UTC)
    assert LIBRARY.working_day_before(friday) == friday


def test_a_year_neither_the_library_nor_the_province_has_is_missing_never_guessed() -> None:
    assert 2027 not in LIBRARY_YEARS and LIBRARY.source(2027) is None
    for ask in (
        lambda: LIBRARY.is_working_day(D(2027, 1, 4)),  # a Monday: still not guessed
        lambda: LIBRARY.working_day_before(cst(2027, 1, 9, 0, 0)),
        lambda: LIBRARY.add_working_days(D(2026, 12, 30), 5),  # runs into 2027
        lambda: LIBRARY.working_days_between(D(2026, 12, 28), D(2027, 1, 8)),
    ):
        with pytest.raises(CalendarMissing) as missing:
            ask()
        assert missing.value.year == 2027


def test_a_loaded_year_counts_with_its_holidays_and_make_up_workdays() -> None:
    calendar = WorkingDayCalendar.with_years([YEAR_2027])
    assert calendar.source(2027) == "loaded" and calendar.covers(2027)
    assert not calendar.is_working_day(D(2027, 1, 1))  # New Year, a Friday
    assert calendar.is_working_day(D(2027, 1, 31))  # a Sunday worked
    assert not calendar.is_working_day(D(2027, 1, 30))  # an ordinary Saturday
    # Spring Festival: Thursday 11 February moves to Friday 5 February, 09:00
    assert calendar.working_day_before(cst(2027, 2, 11, 0, 0)) == cst(2027, 2, 5, 9, 0)
    # From 31 December 2026 (library) over New Year's Day 2027 (loaded)
    assert calendar.add_working_days(D(2026, 12, 30), 2) == D(2027, 1, 4)


def test_a_loaded_year_wins_over_the_library() -> None:
    correction = YearCalendar(year=2026, holidays=frozenset({D(2026, 3, 3)}))
    calendar = WorkingDayCalendar.with_years([correction])
    assert calendar.source(2026) == "loaded"
    assert not calendar.is_working_day(D(2026, 3, 3))
    assert LIBRARY.is_working_day(D(2026, 3, 3))


def test_a_newer_version_replaces_a_year_and_an_older_one_changes_nothing() -> None:
    calendar = WorkingDayCalendar()
    assert calendar.apply(YEAR_2027, 2)
    older = YearCalendar(year=2027, holidays=frozenset({D(2027, 5, 3)}))
    assert not calendar.apply(older, 1) and not calendar.apply(older, 2)
    assert calendar.is_working_day(D(2027, 5, 3)) and calendar.version(2027) == 2
    assert calendar.apply(older, 3)
    assert not calendar.is_working_day(D(2027, 5, 3))


def test_the_library_years_read_as_data() -> None:
    year = library_year(2026)
    assert year is not None and D(2026, 2, 14) in year.workdays and D(2026, 2, 16) in year.holidays
    assert library_year(2027) is None


@pytest.mark.parametrize(
    ("holidays", "workdays", "expected"),
    [
        ([], [], [("holidays", "no_holidays")]),
        ([D(2026, 12, 31)], [], [("holidays.0", "date_outside_year")]),
        ([D(2027, 1, 1)], [D(2028, 1, 1)], [("workdays.0", "date_outside_year")]),
        ([D(2027, 1, 1)], [D(2027, 1, 1)], [("workdays.0", "holiday_and_workday")]),
        ([D(2027, 1, 1)], [D(2027, 1, 31), D(2027, 2, 1)], [("workdays.1", "workday_not_weekend")]),
        ([D(2027, 1, 1), D(2027, 1, 2)], [D(2027, 1, 31)], []),  # a Saturday holiday is fine
    ],
)
def test_a_loaded_year_keeps_to_the_rules(
    holidays: list[dt.date], workdays: list[dt.date], expected: list[tuple[str, str]]
) -> None:
    problems = year_problems(2027, holidays, workdays)
    assert [(p.field, p.kind) for p in problems] == expected
    assert all(p.message.zh and p.message.en for p in problems)
    if expected:
        with pytest.raises(InvalidCalendarYear):
            YearCalendar(year=2027, holidays=frozenset(holidays), workdays=frozenset(workdays))


class FakeRows:
    """``calendar_years`` as the refresh reads it."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.reads: list[str] = []

    async def fetch(self, query: str, *args: Any) -> list[dict[str, Any]]:
        self.reads.append(query)
        if args:
            return [row for row in self.rows if row["year"] in args[0]]
        return [{"year": row["year"], "version": row["version"]} for row in self.rows]


async def test_refresh_takes_newer_years_only_and_skips_one_it_cannot_read() -> None:
    rows = FakeRows(
        [
            {
                "year": 2027,
                "version": 1,
                "holidays": sorted(YEAR_2027.holidays),
                "workdays": sorted(YEAR_2027.workdays),
            },
            # kept before the rules (awards once took a year without holidays): skipped
            {"year": 2030, "version": 0, "holidays": [], "workdays": []},
        ]
    )
    calendar = WorkingDayCalendar()
    assert await calendar.refresh(rows) == [2027]
    assert calendar.source(2027) == "loaded" and calendar.source(2030) is None
    rows.reads.clear()
    assert await calendar.refresh(rows) == []
    assert len(rows.reads) == 1  # nothing newer: the versions only


def test_next_years_calendar_is_needed_from_the_first_of_november() -> None:
    assert years_needed(D(2026, 10, 31)) == (2026,)
    assert years_needed(D(2026, 11, 1)) == (2026, 2027)
    assert years_needed(D(2026, 12, 31)) == (2026, 2027)
    assert years_needed(D(2027, 1, 1)) == (2027,)
