"""``/v1/programmes``: the programmes (as data) and each target's progress, overall and per area."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from registry.api.deps import Pool, Regions
from registry.targets.measures import (
    MEASURES,
    REGION_NAMES,
    Window,
    measure_by_area,
    measure_total,
)
from registry.targets.progress import (
    TargetProgress,
    breakdown_level,
    every_area_progress,
    jurisdiction_prefix,
    progress_of,
)
from registry.targets.statistics import STATISTIC_MEASURES, measure_statistic
from shared.auth import CurrentPrincipal, Principal, may_see_region
from shared.http.problems import not_found
from shared.i18n import t
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
        raise not_found(t("规划", "programme"), programme_id)
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
    return may_see_region(principal, code)


@router.get("/{programme_id}/progress", response_model=ProgrammeProgress)
async def progress(
    programme_id: str,
    request: Request,
    principal: CurrentPrincipal,
    pool: Pool,
    regions: Regions,
    year: int | None = Query(default=None, ge=2000, le=2100),
    by: str | None = Query(default=None, pattern="^(area|city|county)$"),
) -> ProgrammeProgress:
    programme = _programme(request, programme_id)
    today = dt.datetime.now(CHINA).date()
    year = year or today.year
    prefix = jurisdiction_prefix(programme.jurisdiction)
    level = breakdown_level(programme)
    results: list[TargetProgressPublic] = []
    names = {region.code: region.name for region in regions.children(programme.jurisdiction)}
    area_codes = list(names)
    async with pool.acquire() as connection:
        for target in programme.targets:
            measure = MEASURES.get(target.metric)
            statistic = STATISTIC_MEASURES.get(target.metric)
            first_day, last_day = _period(target, programme, year, today)
            by_area: list[AreaProgress] | None = None
            how = measure.description if measure else None
            if statistic is not None:
                # Reported statistics (issue 13): the year's published sums, not registry rows.
                how = statistic.description
                total, areas = await measure_statistic(
                    connection,
                    statistic,
                    programme_id=programme.id,
                    jurisdiction=programme.jurisdiction,
                    year=year,
                    today=today,
                )
                item = progress_of(target, total, reason=f"no statistics published for {year}")
                each_area: dict[str, TargetProgress] = {}
                if total is not None and target.scope is not Scope.total:
                    each_area, item = every_area_progress(target, areas, area_codes, total)
                if by and total is not None:
                    by_area = [
                        _area(code, value, names.get(code), each_area.get(code))
                        for code, value in sorted(areas.items())
                        if _visible_area(principal, code)
                    ]
            elif measure is None:
                item = progress_of(target, None, reason="reported statistics, not registry data")
            else:
                window = Window(prefix, programme.id, first_day, last_day)
                total = await measure_total(connection, measure, window)
                per_area = target.scope is not Scope.total
                areas = (
                    await measure_by_area(connection, measure, window, level=level)
                    if by or per_area
                    else {}
                )
                each: dict[str, TargetProgress] = {}
                if per_area:
                    each, item = every_area_progress(target, areas, area_codes, total)
                else:
                    item = progress_of(target, total)
                if by:
                    missing = [code for code in areas if code not in names]
                    names.update(
                        {
                            r["code"]: r["name"]
                            for r in await connection.fetch(REGION_NAMES, missing)
                        }
                    )
                    by_area = [
                        _area(code, areas.get(code, Decimal(0)), names.get(code), each.get(code))
                        for code in sorted(set(area_codes) | set(areas))
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
                    how_measured=how or item.reason,
                    by_area=by_area,
                )
            )
    return ProgrammeProgress(programme_id=programme.id, year=year, as_of=today, targets=results)


def _area(code: str, value: Decimal, name: str | None, item: TargetProgress | None) -> AreaProgress:
    """An area's count; with its share and met when the target binds each area."""
    if item is None:
        return AreaProgress(region_code=code, name=name, current=value)
    return AreaProgress(
        region_code=code, name=name, current=value, share_met=item.share_met, met=item.met
    )
