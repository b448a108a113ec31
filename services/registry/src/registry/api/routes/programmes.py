"""``/v1/programmes``: the programmes (as data) and each target's progress, overall and per area."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from registry.api.deps import Pool
from registry.targets.measures import (
    MEASURES,
    REGION_NAMES,
    Window,
    measure_by_area,
    measure_total,
)
from registry.targets.progress import breakdown_level, jurisdiction_prefix, progress_of
from shared.auth import CurrentPrincipal, Principal, Role, may_act_on_region
from shared.http.problems import not_found
from shared.programmes import Programme
from shared.programmes.model import Scope, Target

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])
CHINA = dt.timezone(dt.timedelta(hours=8))


class ProgrammeSummary(BaseModel):
    id: str
    name: str
    jurisdiction: str
    period_start: dt.date
    period_end: dt.date


class AreaProgress(BaseModel):
    region_code: str
    name: str | None
    current: Decimal
    share_met: Decimal | None = None
    met: bool | None = None


class TargetProgressPublic(BaseModel):
    id: str
    name: str
    metric: str
    unit: str
    comparison: str
    target: Decimal
    per_year: bool
    scope: str
    measurable: bool
    current: Decimal | None
    share_met: Decimal | None
    met: bool | None
    how_measured: str | None
    by_area: list[AreaProgress] | None = None


class ProgrammeProgress(BaseModel):
    programme_id: str
    year: int
    as_of: dt.date
    targets: list[TargetProgressPublic]


def _programmes(request: Request) -> dict[str, Programme]:
    programmes: dict[str, Programme] = request.app.state.programmes
    return programmes


def _programme(request: Request, programme_id: str) -> Programme:
    programme = _programmes(request).get(programme_id)
    if programme is None:
        raise not_found("programme", programme_id)
    return programme


@router.get("", response_model=list[ProgrammeSummary])
async def list_programmes(request: Request, principal: CurrentPrincipal) -> list[ProgrammeSummary]:
    return [
        ProgrammeSummary(
            id=p.id,
            name=p.name,
            jurisdiction=p.jurisdiction,
            period_start=p.period.start,
            period_end=p.period.end,
        )
        for p in _programmes(request).values()
    ]


@router.get("/{programme_id}", summary="The whole programme definition")
async def get_programme(
    programme_id: str, request: Request, principal: CurrentPrincipal
) -> dict[str, Any]:
    return _programme(request, programme_id).model_dump(mode="json")


def _period(
    target: Target, programme: Programme, year: int, today: dt.date
) -> tuple[dt.date, dt.date]:
    """A per-year target counts its year; any other its programme's period up to today."""
    if target.per_year:
        return dt.date(year, 1, 1), min(dt.date(year, 12, 31), today)
    return programme.period.start, min(programme.period.end, today)


def _visible_area(principal: Principal, code: str) -> bool:
    return Role.integrator in principal.roles or may_act_on_region(principal, code, write=False)


@router.get("/{programme_id}/progress", response_model=ProgrammeProgress)
async def progress(
    programme_id: str,
    request: Request,
    principal: CurrentPrincipal,
    pool: Pool,
    year: int | None = Query(default=None, ge=2000, le=2100),
    by: str | None = Query(default=None, pattern="^(area|city|county)$"),
) -> ProgrammeProgress:
    programme = _programme(request, programme_id)
    today = dt.datetime.now(CHINA).date()
    year = year or today.year
    prefix = jurisdiction_prefix(programme.jurisdiction)
    level = breakdown_level(programme)
    results: list[TargetProgressPublic] = []
    async with pool.acquire() as connection:
        names: dict[str, str] = {}
        for target in programme.targets:
            measure = MEASURES.get(target.metric)
            first_day, last_day = _period(target, programme, year, today)
            if measure is None:
                item = progress_of(target, None, reason="reported statistics, not registry data")
                by_area = None
            else:
                window = Window(prefix, programme.id, first_day, last_day)
                item = progress_of(target, await measure_total(connection, measure, window))
                by_area = None
                if by:
                    areas = await measure_by_area(connection, measure, window, level=level)
                    missing = [code for code in areas if code not in names]
                    names.update(
                        {
                            r["code"]: r["name"]
                            for r in await connection.fetch(REGION_NAMES, missing)
                        }
                    )
                    by_area = [
                        _area(target, code, value, names.get(code))
                        for code, value in sorted(areas.items())
                        if _visible_area(principal, code)
                    ]
            results.append(
                TargetProgressPublic(
                    id=target.id,
                    name=target.name,
                    metric=target.metric.value,
                    unit=target.unit.value,
                    comparison=target.comparison.value,
                    target=target.value,
                    per_year=target.per_year,
                    scope=target.scope.value,
                    measurable=item.measurable,
                    current=item.current,
                    share_met=item.share_met,
                    met=item.met,
                    how_measured=measure.description if measure else item.reason,
                    by_area=by_area,
                )
            )
    return ProgrammeProgress(programme_id=programme.id, year=year, as_of=today, targets=results)


def _area(target: Target, code: str, value: Decimal, name: str | None) -> AreaProgress:
    if target.scope is Scope.total:
        return AreaProgress(region_code=code, name=name, current=value)
    item = progress_of(target, value)  # the target binds each city or county
    return AreaProgress(
        region_code=code, name=name, current=value, share_met=item.share_met, met=item.met
    )
