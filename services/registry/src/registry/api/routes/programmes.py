"""``/v1/programmes``: the programmes (as data) and each target's progress, overall and per area."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from registry.api.deps import Ctx
from registry.handlers.progress import AreaCount, TargetResult, programme_of, programme_progress
from shared.auth import CurrentPrincipal
from shared.http.clock import Now

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])


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
    horizon_end: dt.date = Field(
        description="the end of the programme period: the horizon of its targets (到2025年)"
    )
    horizon_passed: bool = Field(
        description="true for a year past the horizon: the targets are then measured as they "
        "stood at the horizon, never as if the year were within it"
    )
    measured_through: dt.date = Field(
        description="the last day counted: the end of the year measured, the horizon or today, "
        "whichever comes first"
    )
    targets: list[TargetProgressPublic]


@router.get("", response_model=list[ProgrammeSummary])
async def list_programmes(context: Ctx, principal: CurrentPrincipal) -> list[ProgrammeSummary]:
    return [
        ProgrammeSummary(
            id=p.id,
            name=p.name,
            jurisdiction=p.jurisdiction,
            period_start=p.period.start,
            period_end=p.period.end,
        )
        for p in context.programmes.values()
    ]


@router.get("/{programme_id}", summary="The whole programme definition")
async def get_programme(
    programme_id: str, context: Ctx, principal: CurrentPrincipal
) -> dict[str, Any]:
    return programme_of(context, programme_id).model_dump(mode="json")


@router.get("/{programme_id}/progress", response_model=ProgrammeProgress)
async def progress(
    programme_id: str,
    context: Ctx,
    principal: CurrentPrincipal,
    now: Now,
    year: int | None = Query(default=None, ge=2000, le=2100),
    by: str | None = Query(default=None, pattern="^(area|city|county)$"),
) -> ProgrammeProgress:
    result = await programme_progress(
        context, principal, programme_id=programme_id, year=year, by_area=bool(by), now=now
    )
    return ProgrammeProgress(
        programme_id=result.programme_id,
        year=result.year,
        as_of=result.as_of,
        horizon_end=result.horizon.end,
        horizon_passed=result.horizon.passed,
        measured_through=result.horizon.last_day,
        targets=[_target(item) for item in result.targets],
    )


def _target(result: TargetResult) -> TargetProgressPublic:
    target, item = result.target, result.progress
    return TargetProgressPublic(
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
        how_measured=result.how_measured or item.reason,
        by_area=None if result.by_area is None else [_area(area) for area in result.by_area],
    )


def _area(area: AreaCount) -> AreaProgress:
    """An area's count; with its share and met when the target binds each area."""
    item = area.progress
    if item is None:
        return AreaProgress(region_code=area.region_code, name=area.name, current=area.current)
    return AreaProgress(
        region_code=area.region_code,
        name=area.name,
        current=area.current,
        share_met=item.share_met,
        met=item.met,
    )
