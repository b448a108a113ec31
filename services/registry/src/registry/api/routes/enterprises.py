"""Enterprise specifics: statistics-list years (published as
``registry.enterprise.statistics_year_set``). The credit code check on registration is
``registry.handlers.enterprises.prepare_enterprise``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Path, Response

from registry.api.deps import Ctx
from registry.api.schemas import StatisticsListYear
from registry.handlers import enterprises
from shared.auth import CurrentPrincipal
from shared.http.headers import ETAG, if_match_header, sends
from shared.http.problems import invalid
from shared.i18n import t

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])
YEAR = Path(ge=2000, le=2100)


@router.put(
    "/{enterprise_id}/statistics-years/{year}",
    response_model=list[StatisticsListYear],
    summary="Record whether the enterprise is in the statistics list (限额以上/上规入统) in a year",
    description="Answers every year of the enterprise; the ETag is the year's own, the one "
    "`GET …/statistics-years/{year}` sends and If-Match names to replace it.",
    responses=sends(200, ETAG),
)
async def put_statistics_year(
    enterprise_id: uuid.UUID,
    year: int,
    body: StatisticsListYear,
    principal: CurrentPrincipal,
    context: Ctx,
    response: Response,
    if_match: str | None = if_match_header(
        description="The year's ETag, to replace a year already recorded (without it 428; "
        "stale 412)."
    ),
) -> list[StatisticsListYear]:
    if body.year != year:
        raise invalid(
            [{"field": "body.year", "message": "differs from the path's year", "type": "year"}],
            t("请求体中的年份与路径中的不一致", "the body's year differs from the path's"),
        )
    rows = await enterprises.set_statistics_year(
        context,
        principal,
        enterprise_id=enterprise_id,
        year=year,
        in_list=body.in_list,
        if_match=if_match,
    )
    response.headers["ETag"] = enterprises.year_etag(year, body.in_list)
    return [StatisticsListYear.model_validate(dict(r)) for r in rows]


@router.get(
    "/{enterprise_id}/statistics-years/{year}",
    response_model=StatisticsListYear,
    responses=sends(200, ETAG),
)
async def get_statistics_year(
    enterprise_id: uuid.UUID,
    principal: CurrentPrincipal,
    context: Ctx,
    response: Response,
    year: int = YEAR,
) -> StatisticsListYear:
    in_list = await enterprises.statistics_year(
        context, principal, enterprise_id=enterprise_id, year=year
    )
    response.headers["ETag"] = enterprises.year_etag(year, in_list)
    return StatisticsListYear(year=year, in_list=in_list)


@router.get("/{enterprise_id}/statistics-years", response_model=list[StatisticsListYear])
async def get_statistics_years(
    enterprise_id: uuid.UUID, principal: CurrentPrincipal, context: Ctx
) -> list[StatisticsListYear]:
    rows = await enterprises.statistics_years(context, principal, enterprise_id=enterprise_id)
    return [StatisticsListYear.model_validate(dict(r)) for r in rows]
