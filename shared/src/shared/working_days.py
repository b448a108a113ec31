"""China's working-day calendar, one for every service (docs/calendar.md).

A year's working days follow the State Council's holiday arrangement, published each autumn for
the next year, with 调休 make-up workdays on weekends. The PyPI ``chinesecalendar`` package
knows the years up to its release; any other year, and any correction, is loaded by the
province through the registry (``PUT /v1/calendars/{year}``), published as
``registry.calendar.loaded`` and kept by every service in its ``calendar_years`` table
(``shared.calendar_years``). A loaded year wins over the library.

``WorkingDayCalendar`` is that calendar as a process holds it: built once by the process's
``bootstrap`` and refreshed from ``calendar_years`` as the programme catalogue is. Each use
case that counts working days refreshes it first (``refresh``: one small read of the versions,
the days only of a year that changed), so a year loaded a moment ago counts at once. A question about a year it has neither a library
nor a loaded calendar for raises ``CalendarMissing``: nothing counts Monday to Friday in its
place. What a caller does then is its own rule: a reminder goes out at its unshifted time and
says so (notifications), a public notice counted in working days waits (awards).

Pure: the refresh reads through whatever ``fetch`` it is given (a pool or a connection).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import chinese_calendar

from shared.china_time import CHINA
from shared.i18n import Text, t

WORKDAY_MORNING = dt.time(9, 0)

log = logging.getLogger(__name__)

# The refresh: the versions first (a handful of small rows), then only the years that changed.
LOADED_VERSIONS = "SELECT year, version FROM calendar_years"
LOADED_YEARS_OF = """
SELECT year, version, holidays, workdays FROM calendar_years WHERE year = ANY($1::int[])
"""

Source = Literal["loaded", "library"]


class CalendarMissing(LookupError):
    """No working-day calendar for ``year``: neither the library nor a loaded year."""

    def __init__(self, year: int) -> None:
        super().__init__(
            f"no working-day calendar for {year}: the province loads it "
            f"(PUT /v1/calendars/{year} on the registry)"
        )
        self.year = year


@dataclass(frozen=True)
class CalendarProblem:
    """One broken rule of a year's days: where (``holidays.3``, ``workdays.0``, ``holidays``),
    which rule (``kind``) and why, in both languages."""

    field: str
    kind: str
    message: Text


class InvalidCalendarYear(ValueError):
    def __init__(self, problems: Sequence[CalendarProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message.en}" for p in problems))
        self.problems = tuple(problems)


def year_problems(
    year: int, holidays: Sequence[dt.date], workdays: Sequence[dt.date]
) -> list[CalendarProblem]:
    """Every rule a year's days break (none: the year is sound). Holidays may fall on any day
    (the State Council's holidays take in weekends); a 调休 workday is a weekend day made a
    working day, so it is a Saturday or a Sunday; a year without a single holiday is a list
    that was left out, not a year."""
    problems: list[CalendarProblem] = []
    if not holidays:
        problems.append(
            CalendarProblem(
                "holidays",
                "no_holidays",
                t(f"{year}年的节假日不能为空", f"{year} needs its holidays: the list is empty"),
            )
        )
    for name, days in (("holidays", holidays), ("workdays", workdays)):
        for index, day in enumerate(days):
            if day.year != year:
                problems.append(
                    CalendarProblem(
                        f"{name}.{index}",
                        "date_outside_year",
                        t(f"{day} 不在 {year} 年内", f"{day} is not in {year}"),
                    )
                )
    both = set(holidays) & set(workdays)
    for index, day in enumerate(workdays):
        if day in both:
            problems.append(
                CalendarProblem(
                    f"workdays.{index}",
                    "holiday_and_workday",
                    t(f"{day} 既是节假日又是调休上班日", f"{day} is both a holiday and a workday"),
                )
            )
        elif day.weekday() < 5:
            problems.append(
                CalendarProblem(
                    f"workdays.{index}",
                    "workday_not_weekend",
                    t(
                        f"调休上班日 {day} 不是星期六或星期日",
                        f"the make-up workday {day} is not a Saturday or a Sunday",
                    ),
                )
            )
    return problems


@dataclass(frozen=True)
class YearCalendar:
    """One year as data: its public holidays and its make-up workdays (调休上班)."""

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        problems = year_problems(self.year, sorted(self.holidays), sorted(self.workdays))
        if problems:
            raise InvalidCalendarYear(problems)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


# From this day of the year on, next year's calendar is needed: the State Council publishes the
# arrangement in the autumn, and reminders and notices of December run into January.
NEXT_YEAR_NEEDED_FROM = (11, 1)


def years_needed(today: dt.date) -> tuple[int, ...]:
    """The years a calendar must be there for on ``today`` (a China date): this year, and from
    1 November the next."""
    if (today.month, today.day) >= NEXT_YEAR_NEEDED_FROM:
        return (today.year, today.year + 1)
    return (today.year,)


def _library_range() -> range:
    years = [day.year for day in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


LIBRARY_YEARS = _library_range()


def library_year(year: int) -> YearCalendar | None:
    """The year as the library has it (None: it does not cover the year)."""
    if year not in LIBRARY_YEARS:
        return None
    return YearCalendar(
        year=year,
        holidays=frozenset(day for day in chinese_calendar.holidays if day.year == year),
        workdays=frozenset(day for day in chinese_calendar.workdays if day.year == year),
    )


class Rows(Protocol):
    """What ``refresh`` reads through: an asyncpg pool or connection."""

    async def fetch(self, query: str, *args: Any) -> Sequence[Any]: ...


class WorkingDayCalendar:
    """The library's years with the loaded years over them (a loaded year wins).

    Changes replace the inner dictionaries as a whole (copy on write): a reader in the middle
    of counting never sees a year change under it."""

    def __init__(self, loaded: Iterable[tuple[YearCalendar, int]] = ()) -> None:
        self._loaded: dict[int, YearCalendar] = {}
        self._versions: dict[int, int] = {}
        # Rows this process cannot read, as (year, version): logged once, then skipped.
        self._unreadable: set[tuple[int, int]] = set()
        for year, version in loaded:
            self.apply(year, version)

    @classmethod
    def with_years(cls, years: Iterable[YearCalendar]) -> WorkingDayCalendar:
        """These years loaded (version 1 each), over the library."""
        return cls((year, 1) for year in years)

    def source(self, year: int) -> Source | None:
        """Where ``year`` comes from: ``loaded``, ``library``, or None (missing)."""
        if year in self._loaded:
            return "loaded"
        return "library" if year in LIBRARY_YEARS else None

    def covers(self, year: int) -> bool:
        return self.source(year) is not None

    def version(self, year: int) -> int | None:
        """The loaded version held for ``year`` (None: not loaded)."""
        return self._versions.get(year)

    def loaded_years(self) -> list[int]:
        return sorted(self._loaded)

    def is_working_day(self, day: dt.date) -> bool:
        loaded = self._loaded.get(day.year)
        if loaded is not None:
            return loaded.is_working_day(day)
        if day.year not in LIBRARY_YEARS:
            raise CalendarMissing(day.year)
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

    def working_day_before(self, at: dt.datetime) -> dt.datetime:
        """``at`` itself when its China date is a working day, else 09:00 China time on the last
        working day before it. ``CalendarMissing`` for a year it has to look into and cannot."""
        day = at.astimezone(CHINA).date()
        if self.is_working_day(day):
            return at
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return dt.datetime.combine(day, WORKDAY_MORNING, tzinfo=CHINA)

    def apply(self, year: YearCalendar, version: int) -> bool:
        """Hold ``year`` as its version ``version`` when that is newer than the one held;
        whether it was (an older or equal version changes nothing)."""
        if version <= self._versions.get(year.year, -1):
            return False
        self._loaded = {**self._loaded, year.year: year}
        self._versions = {**self._versions, year.year: version}
        return True

    async def refresh(self, rows: Rows) -> list[int]:
        """Take the newer years from ``calendar_years``; the years that changed. A row this
        process cannot read (a year kept before the rules it breaks) is logged and skipped:
        the year stays as it was."""
        newer = [
            row["year"]
            for row in await rows.fetch(LOADED_VERSIONS)
            if row["version"] > self._versions.get(row["year"], -1)
            and (row["year"], row["version"]) not in self._unreadable
        ]
        if not newer:
            return []
        changed: list[int] = []
        for row in await rows.fetch(LOADED_YEARS_OF, newer):
            try:
                year = YearCalendar(
                    year=row["year"],
                    holidays=frozenset(row["holidays"]),
                    workdays=frozenset(row["workdays"]),
                )
            except InvalidCalendarYear as exc:
                self._unreadable.add((row["year"], row["version"]))
                log.error(
                    "calendar year %d version %d not applied: %s", row["year"], row["version"], exc
                )
                continue
            if self.apply(year, row["version"]):
                changed.append(year.year)
                log.info("working-day calendar %d: version %d", year.year, row["version"])
        return changed
