"""China's working-day calendar, with the State Council's 调休 (make-up workdays).

The years the PyPI ``chinesecalendar`` package covers come from it; any other year must be
loaded as data (``YearCalendar``, e.g. from the State Council's notice for that year). A year
neither covers is ``CalendarYearNotCovered``: never a silent Monday-to-Friday guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import chinese_calendar


class CalendarYearNotCovered(LookupError):
    def __init__(self, year: int) -> None:
        super().__init__(
            f"no working-day calendar for {year}: load that year's calendar "
            "(holidays and make-up workdays) as data"
        )
        self.year = year


@dataclass(frozen=True)
class YearCalendar:
    """One year as data: its public holidays and its make-up workdays (调休上班)."""

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for day in self.holidays | self.workdays:
            if day.year != self.year:
                raise ValueError(f"{day} is not in {self.year}")
        if self.holidays & self.workdays:
            raise ValueError("a day is both a holiday and a workday")

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def _library_years() -> range:
    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


@dataclass(frozen=True)
class WorkingDayCalendar:
    """Loaded years take precedence over the library (a correction, or a year it lacks)."""

    loaded: tuple[YearCalendar, ...] = ()

    @classmethod
    def with_years(cls, years: Iterable[YearCalendar]) -> WorkingDayCalendar:
        return cls(loaded=tuple(years))

    def is_working_day(self, day: dt.date) -> bool:
        for year in self.loaded:
            if year.year == day.year:
                return year.is_working_day(day)
        if day.year not in _library_years():
            raise CalendarYearNotCovered(day.year)
        return bool(chinese_calendar.is_workday(day))

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day, counted = start, 0
        while counted < count:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days in ``first``..``last``, both included (0 when ``last`` < ``first``)."""
        counted, day = 0, first
        while day <= last:
            counted += self.is_working_day(day)
            day += dt.timedelta(days=1)
        return counted
