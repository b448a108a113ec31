"""``GET /v1/statistics``: the published figures of a region and its children, with growth,
reconciliation, completeness (the period's roster) and provisional flags (docs/statistics.md,
*Published*)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from shared.auth import CurrentPrincipal
from shared.auth.scope import may_see_region
from shared.http.json_body import model_response
from shared.http.problems import not_found
from shared.i18n import t
from submissions.api.deps import Ctx, Pool
from submissions.api.routes.statistics import HANDLED, statistics_problem
from submissions.api.statistics_schemas import (
    CompletenessCount,
    ReconciliationPublic,
    StatisticsPublic,
    StatisticsRowPublic,
)
from submissions.handlers.statistics_published import published_view

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])


# The body is rendered once (``model_response``); ``response_model`` documents it.
@router.get(
    "",
    response_model=StatisticsPublic,
    responses={
        404: {
            "description": "No programme collects the indicator in the region, or "
            "the region is not visible to the caller"
        }
    },
    summary="Published figures of a region and its children, with growth, completeness "
    "and provisional flags",
)
async def published(
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    indicator: str = Query(min_length=1, max_length=80),
    period: str = Query(min_length=4, max_length=7, description="2025-01, 2025-Q1 or 2025"),
    region: str = Query(pattern=r"^\d{6}$", description="province, city or county code"),
    by: Literal["city", "county"] = Query(default="city"),
    programme_id: str | None = Query(
        default=None,
        max_length=100,
        description="default: the programme whose jurisdiction "
        "holds the region and which collects the indicator",
    ),
) -> Response:
    if not may_see_region(principal, region):
        raise not_found(t("地区", "region"), region)
    try:
        view = await published_view(
            pool,
            context,
            indicator=indicator,
            period=period,
            region=region,
            by=by,
            programme_id=programme_id,
        )
    except HANDLED as exc:
        raise statistics_problem(exc) from exc
    completeness: dict[str, CompletenessCount] = {}
    for state_row in view.report_states:
        count = completeness.setdefault(
            state_row["reporter_kind"], CompletenessCount(reports=0, accepted=0, under_review=0)
        )
        count.reports += state_row["reports"]
        if state_row["state"] == "accepted":
            count.accepted += state_row["reports"]
        else:
            count.under_review += state_row["reports"]
    for roster_row in view.roster_counts:
        count = completeness.setdefault(
            roster_row["reporter_kind"], CompletenessCount(reports=0, accepted=0, under_review=0)
        )
        count.expected, count.missing = roster_row["expected"], roster_row["missing"]

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    public_rows = [
        StatisticsRowPublic(
            region_code=r.region_code,
            level=r.level,
            value=text(r.value),
            reporters=r.reporters,
            provisional=r.provisional,
            year_on_year=text(r.year_on_year),
            period_on_period=text(r.period_on_period),
            breakdown={k: str(v) for k, v in r.breakdown.items()},
            reconciliation=None
            if r.reconciliation is None
            else ReconciliationPublic(
                reported=str(r.reconciliation.reported),
                sum_of_counties=str(r.reconciliation.sum_of_counties),
                difference=str(r.reconciliation.difference),
            ),
        )
        for r in view.rows
        if may_see_region(principal, r.region_code)
    ]
    public = StatisticsPublic(
        programme_id=view.programme.id,
        indicator=indicator,
        name_zh=view.indicator.name_zh,
        unit=view.indicator.unit.value,
        aggregation=view.indicator.aggregation.value,
        basis=view.basis,
        period=str(view.period),
        region=region,
        by=by,
        provisional=any(r.provisional for r in public_rows),
        rows=public_rows,
        completeness=completeness,
    )
    return model_response(public)
