"""Use cases of the working-day calendar (docs/calendar.md): anyone reads a year or the list of
years; a province administration loads a year the chinesecalendar library lacks, or corrects
one it has. A load writes the year, its outbox event ``registry.calendar.loaded`` (every service
keeps the year from it) and its audit record in one transaction; replacing a year (a loaded one,
or the library's) needs the version read (If-Match), held under the year's lock until the
commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from registry.db import calendars as queries
from registry.handlers.common import Connection, Context, Pool, Row
from shared import audit
from shared.auth.principal import Principal
from shared.auth.scope import may_load_calendar, may_read_calendar
from shared.calendar_years import store_year
from shared.china_time import CHINA
from shared.events.calendars import CalendarLoaded
from shared.http import catalogue
from shared.http.problems import ProblemError, forbidden, not_found
from shared.i18n import t
from shared.working_days import (
    LIBRARY_YEARS,
    InvalidCalendarYear,
    Source,
    YearCalendar,
    library_year,
    year_problems,
    years_needed,
)

LIBRARY_VERSION = 0  # a year as the library has it, before the province loads one

# Raises the HTTP precondition's problem unless the version the caller read is the current one
# (None: the year has no calendar yet, neither loaded nor the library's).
Precondition = Callable[[int | None], None]


@dataclass(frozen=True)
class CalendarYearView:
    year: int
    source: Source
    version: int
    holidays: list[dt.date]
    workdays: list[dt.date]
    source_document: str | None = None
    loaded_at: dt.datetime | None = None


@dataclass(frozen=True)
class CalendarYearSummary:
    year: int
    source: Source
    version: int
    holiday_count: int
    workday_count: int
    source_document: str | None = None
    loaded_at: dt.datetime | None = None


@dataclass(frozen=True)
class CalendarOverview:
    years: list[CalendarYearSummary]
    not_loaded: list[int]  # years needed now (this one; from 1 November the next) without one


def _loaded(row: Row) -> CalendarYearView:
    return CalendarYearView(
        year=row["year"],
        source="loaded",
        version=row["version"],
        holidays=list(row["holidays"]),
        workdays=list(row["workdays"]),
        source_document=row["source_document"],
        loaded_at=row["loaded_at"],
    )


def _in_force(row: Row | None, year: int) -> CalendarYearView | None:
    """The year as it counts: loaded, else the library's, else None."""
    if row is not None:
        return _loaded(row)
    library = library_year(year)
    if library is None:
        return None
    return CalendarYearView(
        year=year,
        source="library",
        version=LIBRARY_VERSION,
        holidays=sorted(library.holidays),
        workdays=sorted(library.workdays),
    )


def _require_reader(principal: Principal) -> None:
    if not may_read_calendar(principal):
        raise forbidden(t("无权查阅工作日历", "the caller may not read the calendar"))


async def read_year(pool: Pool, principal: Principal, year: int) -> CalendarYearView:
    _require_reader(principal)
    async with pool.acquire() as connection:
        row = await connection.fetchrow(queries.CALENDAR_YEAR, year)
    view = _in_force(row, year)
    if view is None:
        raise not_found(t("工作日历年度", "calendar year"), str(year))
    return view


async def list_years(pool: Pool, principal: Principal, *, now: dt.datetime) -> CalendarOverview:
    _require_reader(principal)
    async with pool.acquire() as connection:
        rows = await connection.fetch(queries.CALENDAR_YEARS)
    loaded = {
        row["year"]: CalendarYearSummary(
            year=row["year"],
            source="loaded",
            version=row["version"],
            holiday_count=row["holiday_count"],
            workday_count=row["workday_count"],
            source_document=row["source_document"],
            loaded_at=row["loaded_at"],
        )
        for row in rows
    }
    for year in LIBRARY_YEARS:
        library = library_year(year)
        if year not in loaded and library is not None:
            loaded[year] = CalendarYearSummary(
                year=year,
                source="library",
                version=LIBRARY_VERSION,
                holiday_count=len(library.holidays),
                workday_count=len(library.workdays),
            )
    needed = years_needed(now.astimezone(CHINA).date())
    return CalendarOverview(
        years=[loaded[year] for year in sorted(loaded)],
        not_loaded=[year for year in needed if year not in loaded],
    )


def _invalid(exc: InvalidCalendarYear) -> ProblemError:
    errors = [
        {"field": f"body.{problem.field}", "message": problem.message, "type": problem.kind}
        for problem in exc.problems
    ]
    fields = ", ".join(f"body.{problem.field}" for problem in exc.problems)
    return ProblemError(
        catalogue.INVALID_CALENDAR_YEAR,
        t(f"工作日历有误：{fields}", f"the calendar year breaks its rules: {fields}"),
        extra={"errors": errors},
    )


async def load_year(
    context: Context,
    principal: Principal,
    year: int,
    *,
    holidays: list[dt.date],
    workdays: list[dt.date],
    source_document: str | None,
    precondition: Precondition,
    now: dt.datetime,
) -> CalendarYearView:
    """Load (or replace) the year; the year as stored."""
    if not may_load_calendar(principal):
        raise forbidden(t("工作日历由省厅载入", "a province administration loads the calendar"))
    problems = year_problems(year, holidays, workdays)
    if problems:
        raise _invalid(InvalidCalendarYear(problems))
    calendar = YearCalendar(year=year, holidays=frozenset(holidays), workdays=frozenset(workdays))
    async with context.pool.acquire() as connection, connection.transaction():
        await connection.execute(queries.LOCK_CALENDAR_YEAR, year)
        current = _in_force(await connection.fetchrow(queries.CALENDAR_YEAR, year), year)
        precondition(None if current is None else current.version)
        version = (current.version if current is not None else LIBRARY_VERSION) + 1
        await store_year(
            connection,
            calendar,
            version=version,
            loaded_by=principal.subject,
            loaded_at=now,
            source_document=source_document,
        )
        stored = await _stored(connection, year)
        await context.publish(
            connection,
            [
                CalendarLoaded(
                    year=year,
                    version=stored.version,
                    holidays=stored.holidays,
                    workdays=stored.workdays,
                    source_document=source_document,
                    loaded_by=principal.subject,
                    loaded_at=now,
                )
            ],
        )
        await audit.record_change_by(
            connection,
            principal,
            "calendar_year.loaded",
            audit.Resource("calendar_year", year, principal.region_code),
            before=None if current is None else _days(current),
            after=_days(stored),
        )
    return stored


async def _stored(connection: Connection, year: int) -> CalendarYearView:
    row = await connection.fetchrow(queries.CALENDAR_YEAR, year)
    if row is None:  # written in this very transaction, under the year's lock
        raise RuntimeError(f"calendar year {year} was not kept")
    return _loaded(row)


def _days(view: CalendarYearView) -> dict[str, object]:
    return {
        "source": view.source,
        "version": view.version,
        "holidays": [day.isoformat() for day in view.holidays],
        "workdays": [day.isoformat() for day in view.workdays],
    }
