"""Who is expected to report statistics (docs/statistics.md, *The frozen roster*): the province
registers its county and city bureaus and monitored enterprises, a city bureau the monitored
enterprises of its city (003 二（四）16 组织典型企业积极做好统计数据的报送工作); a period's roster is
the registrations open when it opened, with each reporter's report state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Path, Query, Request, status

from shared.auth import CurrentPrincipal, Principal
from shared.auth.scope import statistics_roles
from shared.http.idempotency import claim_with
from shared.http.pagination import Page, next_cursor, read_cursor
from shared.http.problems import forbidden, not_found
from shared.i18n import t
from submissions.api.access import scope_of
from submissions.api.deps import Ctx, Now, Pool
from submissions.api.routes.statistics import HANDLED, statistics_problem
from submissions.api.statistics_schemas import (
    RosterEntryPublic,
    StatisticsReporterCreate,
    StatisticsReporterPublic,
)
from submissions.domain.actors import Actor, Role
from submissions.domain.errors import Refused
from submissions.domain.statistics.figures import ReporterKind
from submissions.handlers.common import BeforeCommit
from submissions.handlers.statistics import period_of, programme_statistics
from submissions.handlers.statistics_roster import register_reporter, remove_reporter, roster_page

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])
PROGRAMME = Path(min_length=1, max_length=100)
REPORTER = Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")


def _registrar(principal: Principal, *, kind: str, reporter_id: str, region_code: str) -> Actor:
    """The province registers anyone in its province; a city bureau its city's enterprises."""
    roles = statistics_roles(
        principal, reporter_kind=kind, reporter_id=reporter_id, region_code=region_code
    )
    if "province" in roles:
        return Actor(principal.subject, Role.province, region_code=principal.region_code)
    if "city_bureau" in roles and kind == ReporterKind.enterprise.value:
        return Actor(principal.subject, Role.city_bureau, region_code=region_code[:4] + "00")
    if "city_bureau" in roles:
        raise forbidden(
            t(
                "省厅登记各级商务主管部门；市级部门登记其监测企业",
                "the province registers bureaus; a city bureau its monitored enterprises",
            )
        )
    raise not_found(t("地区", "region"), region_code)


def _public(row: Mapping[str, Any]) -> StatisticsReporterPublic:
    return StatisticsReporterPublic(**{k: row[k] for k in StatisticsReporterPublic.model_fields})


def _claim(request: Request, *, status_code: int) -> BeforeCommit:
    """Claims the request's Idempotency-Key with the registration it answers, in the use
    case's transaction."""
    return claim_with(request, status_code=status_code, render=_public)


@router.post(
    "/reporters/{programme_id}",
    status_code=status.HTTP_201_CREATED,
    response_model=StatisticsReporterPublic,
    summary="Register an expected statistics reporter (from the next period that opens)",
    description="409 `already_registered`; 422 naming the field for a reporter that does not "
    "fit its kind or region.",
)
async def register(
    request: Request,
    body: StatisticsReporterCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    programme_id: str = PROGRAMME,
) -> StatisticsReporterPublic:
    def authorize() -> Actor:
        return _registrar(
            principal,
            kind=body.reporter_kind,
            reporter_id=body.reporter_id,
            region_code=body.region_code,
        )

    try:
        row = await register_reporter(
            pool,
            context,
            programme_id=programme_id,
            reporter_id=body.reporter_id,
            kind=ReporterKind(body.reporter_kind),
            region_code=body.region_code,
            authorize=authorize,
            now=now,
            before_commit=_claim(request, status_code=201),
        )
    except HANDLED as exc:
        raise statistics_problem(exc) from exc
    return _public(row)


@router.post(
    "/reporters/{programme_id}/{reporter_id}/removal",
    response_model=StatisticsReporterPublic,
    summary="Close a registration: not expected from the next period that opens",
)
async def remove(
    request: Request,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    programme_id: str = PROGRAMME,
    reporter_id: str = REPORTER,
) -> StatisticsReporterPublic:
    def authorize(row: Mapping[str, Any]) -> Actor:
        return _registrar(
            principal,
            kind=row["reporter_kind"],
            reporter_id=row["reporter_id"],
            region_code=row["region_code"],
        )

    try:
        row = await remove_reporter(
            pool,
            context,
            programme_id=programme_id,
            reporter_id=reporter_id,
            authorize=authorize,
            now=now,
            before_commit=_claim(request, status_code=200),
        )
    except HANDLED as exc:
        raise statistics_problem(exc) from exc
    return _public(row)


@router.get(
    "/roster/{programme_id}/{period}",
    response_model=Page[RosterEntryPublic],
    summary="The period's frozen roster (registrations open when it opened) and each "
    "reporter's report state; scoped",
)
async def roster(
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    programme_id: str = PROGRAMME,
    period: str = Path(min_length=4, max_length=7, description="2025-01, 2025-Q1 or 2025"),
    cursor: str | None = None,
    limit: int = Query(default=100, ge=1, le=500),
) -> Page[RosterEntryPublic]:
    try:
        _, statistics = programme_statistics(context, programme_id)
        key = period_of(period)
    except (*HANDLED, Refused) as exc:
        raise statistics_problem(exc) from exc
    after = read_cursor(cursor, lambda p: str(p["after"]))
    rows = await roster_page(
        pool,
        programme_id,
        statistics,
        key,
        after=after,
        count=limit + 1,
        scope=scope_of(principal),
    )
    return Page[RosterEntryPublic](
        items=[RosterEntryPublic(**dict(row)) for row in rows[:limit]],
        next_cursor=next_cursor(rows, limit, lambda last: {"after": last["reporter_id"]}),
    )
