"""``/v1/programmes``: the programmes (as data) and each target's progress, overall and per area."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from registry.api.deps import Ctx
from registry.handlers import revisions
from registry.handlers.progress import AreaCount, TargetResult, programme_progress
from shared.auth import CurrentPrincipal
from shared.http.clock import Now
from shared.http.headers import ETAG, header_ref
from shared.programmes.export import programme_yaml

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])
YAML = "application/yaml"


class ProgrammeSummary(BaseModel):
    id: str
    name: str
    jurisdiction: str
    period_start: dt.date
    period_end: dt.date
    revision: int = Field(
        description="The revision this service runs on (0: the shipped file, none recorded); "
        "`GET /v1/programmes/{id}` answers the newest recorded"
    )


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
            revision=context.programmes.revision(p.id),
        )
        for p in context.programmes.values()
    ]


@router.get(
    "/{programme_id}",
    response_model=dict[str, Any],
    summary="The whole programme definition, as it now stands",
    description="The newest revision (docs/programmes.md). Its ETag (JSON) is the revision number "
    '(`"3"`), which `PUT` takes in If-Match. `format=yaml` answers it as a programme file '
    "(`application/yaml`, the revision in its first comment lines), to commit where the "
    "files are the way of working.",
    responses={
        200: {
            "headers": {ETAG: header_ref(ETAG)},
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
async def get_programme(
    programme_id: str,
    context: Ctx,
    principal: CurrentPrincipal,
    response: Response,
    format: Literal["json", "yaml"] = Query(default="json", description="`yaml`: a file"),
) -> Any:
    current = await revisions.current(context, programme_id)
    if format == "yaml":
        header = f"{current.programme.id}: revision {current.revision} (GET /v1/programmes)"
        return Response(programme_yaml(current.programme, header=header), media_type=YAML)
    response.headers["ETag"] = current.etag
    return current.programme.model_dump(mode="json")


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
