"""Use cases of the working-day calendar: the province loads a year as data (a year
chinesecalendar lacks, or a correction; audited), and the application workflow's activity
plans a public notice on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from awards.db import queries, repository
from awards.domain.calendar import YearCalendar
from awards.domain.notice import days_counted, end_instant, notice_last_day, resumed_last_day
from awards.handlers.common import Connection, Pool
from awards.handlers.experts import require_province
from awards.workflows.types import NoticeDates, NoticePlan
from shared import audit
from shared.auth.principal import Principal
from shared.http import catalogue
from shared.http.problems import ProblemError, not_found
from shared.i18n import t


@dataclass(frozen=True)
class CalendarYearDays:
    """A loaded year as stored: its holidays and its working weekend days, in day order."""

    year: int
    holidays: list[dt.date]
    workdays: list[dt.date]


# Raises the HTTP precondition's problem unless the current representation (None: the year is
# not loaded) is the one the caller read; the route renders the representation and its tag.
Precondition = Callable[[CalendarYearDays | None], None]


async def _calendar_year(
    connection: Connection, year: int, *, lock: bool = False
) -> CalendarYearDays | None:
    """``lock``: the row lock holds the version an If-Match was compared with until commit."""
    loaded = await connection.fetchval(
        queries.CALENDAR_YEAR_FOR_UPDATE if lock else queries.CALENDAR_YEAR, year
    )
    if loaded is None:
        return None
    days = await connection.fetch(queries.CALENDAR_YEAR_DAYS, year)
    return CalendarYearDays(
        year=year,
        holidays=[d["day"] for d in days if d["kind"] == "holiday"],
        workdays=[d["day"] for d in days if d["kind"] == "workday"],
    )


async def read_calendar_year(pool: Pool, principal: Principal, year: int) -> CalendarYearDays:
    require_province(principal)
    async with pool.acquire() as connection:
        calendar = await _calendar_year(connection, year)
    if calendar is None:
        raise not_found(t("工作日历年度", "calendar year"), str(year))
    return calendar


async def put_calendar_year(
    pool: Pool,
    principal: Principal,
    year: int,
    *,
    holidays: list[dt.date],
    workdays: list[dt.date],
    precondition: Precondition,
) -> CalendarYearDays | None:
    """Loads (or replaces) the year; the year as stored."""
    require_province(principal)
    try:
        calendar = YearCalendar(
            year=year, holidays=frozenset(holidays), workdays=frozenset(workdays)
        )
    except ValueError as exc:
        raise ProblemError(catalogue.VALIDATION_FAILED, t(f"日历有误：{exc}", str(exc))) from exc
    async with pool.acquire() as connection, connection.transaction():
        precondition(await _calendar_year(connection, year, lock=True))
        await repository.load_calendar_year(connection, calendar, principal.subject)
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="calendar_year.loaded",
            resource_type="calendar_year",
            resource_id=year,
            after={"holidays": sorted(calendar.holidays), "workdays": sorted(calendar.workdays)},
        )
        return await _calendar_year(connection, year)


async def plan_notice(pool: Pool, plan: NoticePlan) -> NoticeDates:
    """The notice's last day on China's working-day calendar (loaded years first). A year
    neither covers raises ``CalendarYearNotCovered``."""
    async with pool.acquire() as connection:
        calendar = await repository.working_calendar(connection)
    if plan.kind == "start":
        last = notice_last_day(plan.published_on, plan.public_notice, calendar)
        return NoticeDates(last_day=last, ends_at=end_instant(last))
    if plan.remaining is None:
        if plan.objection_on is None:
            raise ValueError("pausing a notice needs the day of the objection")
        counted = days_counted(plan.published_on, plan.objection_on, plan.public_notice, calendar)
        return NoticeDates(
            last_day=plan.published_on,
            ends_at=end_instant(plan.published_on),
            counted_before_objection=counted,
        )
    last = resumed_last_day(plan.published_on, plan.remaining, plan.public_notice, calendar)
    return NoticeDates(last_day=last, ends_at=end_instant(last))
