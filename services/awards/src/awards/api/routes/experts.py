"""``/v1/experts/{expert_id}``: the province keeps the pool of expert reviewers, with their
region and declared relations (conflicts of interest); ``/v1/calendar-years/{year}`` loads a
year's working-day calendar as data (a year chinesecalendar lacks, or a correction)."""

from __future__ import annotations

from fastapi import APIRouter, Path

from awards.api.deps import Pool
from awards.api.schemas import CalendarYearPut, ExpertPublic, ExpertPut
from awards.db import queries, repository
from awards.domain.calendar import YearCalendar
from shared import audit
from shared.auth import CurrentPrincipal, Principal
from shared.auth.roles import Role
from shared.http import catalogue
from shared.http.problems import ProblemError, forbidden
from shared.i18n import t

router = APIRouter(tags=["experts"])


def _require_province(principal: Principal) -> None:
    if Role.province_admin not in principal.roles or principal.region_code is None:
        raise forbidden(
            t("专家库和工作日历由省厅维护", "the province keeps the expert pool and the calendar")
        )


@router.put("/v1/experts/{expert_id}", response_model=ExpertPublic)
async def put_expert(
    body: ExpertPut,
    principal: CurrentPrincipal,
    pool: Pool,
    expert_id: str = Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$"),
) -> ExpertPublic:
    _require_province(principal)
    async with pool.acquire() as connection, connection.transaction():
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
    return ExpertPublic.model_validate(dict(row))


@router.put("/v1/calendar-years/{year}", status_code=204)
async def put_calendar_year(
    body: CalendarYearPut,
    principal: CurrentPrincipal,
    pool: Pool,
    year: int = Path(ge=2000, le=2100),
) -> None:
    _require_province(principal)
    try:
        calendar = YearCalendar(
            year=year, holidays=frozenset(body.holidays), workdays=frozenset(body.workdays)
        )
    except ValueError as exc:
        raise ProblemError(catalogue.VALIDATION_FAILED, t(f"日历有误：{exc}", str(exc))) from exc
    async with pool.acquire() as connection, connection.transaction():
        await repository.load_calendar_year(connection, calendar, principal.subject)
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="calendar_year.loaded",
            resource_type="calendar_year",
            resource_id=year,
            after={"holidays": sorted(calendar.holidays), "workdays": sorted(calendar.workdays)},
        )
