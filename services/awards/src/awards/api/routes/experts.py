"""``/v1/experts/{expert_id}``: the province keeps the pool of expert reviewers, with their
region and declared relations (conflicts of interest); ``/v1/calendar-years/{year}`` loads a
year's working-day calendar as data (a year chinesecalendar lacks, or a correction).

Both are created or replaced by PUT. Neither has a version column, so the ETag is the tag of
the representation a GET sends; replacing needs it in If-Match (two province officials editing
the same expert or year would otherwise overwrite each other unseen)."""

from __future__ import annotations

import asyncpg
from fastapi import APIRouter, Path, Response

from awards.api.deps import Pool
from awards.api.schemas import CalendarYearPublic, CalendarYearPut, ExpertPublic, ExpertPut
from awards.db import queries, repository
from awards.domain.calendar import YearCalendar
from shared import audit
from shared.auth import CurrentPrincipal, Principal
from shared.auth.roles import Role
from shared.http import catalogue
from shared.http.etag import check_put_precondition, representation_etag
from shared.http.headers import ETAG, if_match_header, sends
from shared.http.problems import ProblemError, forbidden, not_found
from shared.i18n import t

router = APIRouter(tags=["experts"])
EXPERT_ID = Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
YEAR = Path(ge=2000, le=2100)
IF_MATCH = "The ETag you read, to replace one that exists (without it 428; stale 412)."


def _require_province(principal: Principal) -> None:
    if Role.province_admin not in principal.roles or principal.region_code is None:
        raise forbidden(
            t("专家库和工作日历由省厅维护", "the province keeps the expert pool and the calendar")
        )


async def _expert(
    connection: asyncpg.Connection, expert_id: str, *, lock: bool = False
) -> ExpertPublic | None:
    """``lock``: the row lock holds the version an If-Match was compared with until commit."""
    row = await connection.fetchrow(
        queries.EXPERT_FOR_UPDATE if lock else queries.EXPERT, expert_id
    )
    return None if row is None else ExpertPublic.model_validate(dict(row))


async def _calendar_year(
    connection: asyncpg.Connection, year: int, *, lock: bool = False
) -> CalendarYearPublic | None:
    if (
        await connection.fetchval(
            queries.CALENDAR_YEAR_FOR_UPDATE if lock else queries.CALENDAR_YEAR, year
        )
        is None
    ):
        return None
    days = await connection.fetch(queries.CALENDAR_YEAR_DAYS, year)
    return CalendarYearPublic(
        year=year,
        holidays=[d["day"] for d in days if d["kind"] == "holiday"],
        workdays=[d["day"] for d in days if d["kind"] == "workday"],
    )


@router.get("/v1/experts/{expert_id}", response_model=ExpertPublic, responses=sends(200, ETAG))
async def get_expert(
    principal: CurrentPrincipal, pool: Pool, response: Response, expert_id: str = EXPERT_ID
) -> ExpertPublic:
    _require_province(principal)
    async with pool.acquire() as connection:
        expert = await _expert(connection, expert_id)
    if expert is None:
        raise not_found(t("评审专家", "expert"), expert_id)
    response.headers["ETag"] = representation_etag(expert)
    return expert


@router.put("/v1/experts/{expert_id}", response_model=ExpertPublic, responses=sends(200, ETAG))
async def put_expert(
    body: ExpertPut,
    principal: CurrentPrincipal,
    pool: Pool,
    response: Response,
    expert_id: str = EXPERT_ID,
    if_match: str | None = if_match_header(description=IF_MATCH),
) -> ExpertPublic:
    _require_province(principal)
    async with pool.acquire() as connection, connection.transaction():
        current = await _expert(connection, expert_id, lock=True)
        check_put_precondition(if_match, None if current is None else representation_etag(current))
        row = await connection.fetchrow(
            queries.UPSERT_EXPERT,
            expert_id,
            body.name,
            body.region_code,
            body.declared_relations,
            body.active,
        )
        assert row is not None
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="expert.updated",
            resource_type="expert",
            resource_id=expert_id,
            region_code=body.region_code,
            after=body.model_dump(),
        )
    expert = ExpertPublic.model_validate(dict(row))
    response.headers["ETag"] = representation_etag(expert)
    return expert


@router.get(
    "/v1/calendar-years/{year}", response_model=CalendarYearPublic, responses=sends(200, ETAG)
)
async def get_calendar_year(
    principal: CurrentPrincipal, pool: Pool, response: Response, year: int = YEAR
) -> CalendarYearPublic:
    _require_province(principal)
    async with pool.acquire() as connection:
        calendar = await _calendar_year(connection, year)
    if calendar is None:
        raise not_found(t("工作日历年度", "calendar year"), str(year))
    response.headers["ETag"] = representation_etag(calendar)
    return calendar


@router.put("/v1/calendar-years/{year}", status_code=204, responses=sends(204, ETAG))
async def put_calendar_year(
    body: CalendarYearPut,
    principal: CurrentPrincipal,
    pool: Pool,
    response: Response,
    year: int = YEAR,
    if_match: str | None = if_match_header(description=IF_MATCH),
) -> None:
    _require_province(principal)
    try:
        calendar = YearCalendar(
            year=year, holidays=frozenset(body.holidays), workdays=frozenset(body.workdays)
        )
    except ValueError as exc:
        raise ProblemError(catalogue.VALIDATION_FAILED, t(f"日历有误：{exc}", str(exc))) from exc
    async with pool.acquire() as connection, connection.transaction():
        current = await _calendar_year(connection, year, lock=True)
        check_put_precondition(if_match, None if current is None else representation_etag(current))
        await repository.load_calendar_year(connection, calendar, principal.subject)
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="calendar_year.loaded",
            resource_type="calendar_year",
            resource_id=year,
            after={"holidays": sorted(calendar.holidays), "workdays": sorted(calendar.workdays)},
        )
        loaded = await _calendar_year(connection, year)
    response.headers["ETag"] = representation_etag(loaded)
