"""``GET /v1/statistics``: the published figures of a region and its children, with growth,
reconciliation, completeness (the period's roster) and provisional flags (docs/statistics.md,
*Published*)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from shared.auth import CurrentPrincipal
from shared.auth.scope import may_see_region
from shared.http.problems import not_found
from shared.i18n import t
from shared.programmes import Programme
from submissions.api.deps import Ctx, Pool
from submissions.api.routes.statistics import statistics_problem
from submissions.api.statistics_schemas import (
    CompletenessCount,
    ReconciliationPublic,
    StatisticsPublic,
    StatisticsRowPublic,
)
from submissions.db import statistics_queries as queries
from submissions.domain.errors import Refused
from submissions.domain.statistics.periods import PERIOD_NAMES, period_schedule
from submissions.domain.statistics.published import published_rows
from submissions.handlers.common import Context
from submissions.handlers.statistics import period_of
from submissions.handlers.statistics_publication import figures_in_force

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])


def _programme(
    context: Context, programme_id: str | None, indicator: str, region: str
) -> Programme:
    for programme in sorted(context.programmes.values(), key=lambda p: p.id):
        statistics = programme.statistics
        if programme_id is not None and programme.id != programme_id:
            continue
        root = programme.jurisdiction
        inside = region[:2] == root[:2] if root.endswith("0000") else region[:4] == root[:4]
        if statistics is None or not inside:
            continue
        if any(i.id == indicator for i in statistics.indicators):
            return programme
    raise not_found(t("统计指标", "statistics indicator"), f"{indicator} / {region}")


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
) -> StatisticsPublic:
    if not may_see_region(principal, region):
        raise not_found(t("地区", "region"), region)
    programme = _programme(context, programme_id, indicator, region)
    statistics = programme.statistics
    assert statistics is not None
    try:
        key = period_of(period)
    except Refused as exc:
        raise statistics_problem(exc) from exc
    chosen = statistics.indicator(indicator)
    if chosen.period is not key.kind:
        raise statistics_problem(
            Refused(
                "invalid_period",
                t(
                    f"指标 {indicator} 按{PERIOD_NAMES[chosen.period.value]}统计",
                    f"{indicator} is {chosen.period.value}",
                ),
                field="period",
            )
        )
    parts = [i for i in (chosen.id, chosen.numerator, chosen.denominator) if i]
    periods = [str(key), str(key.previous()), str(key.a_year_earlier())]
    like = (
        region[:2] + "%"
        if region.endswith("0000")
        else region[:4] + "%"
        if region.endswith("00")
        else region
    )
    async with pool.acquire() as connection:
        figures = await figures_in_force(
            connection,
            programme_id=programme.id,
            indicators=parts,
            periods=periods,
            root=programme.jurisdiction,
        )
        states = await connection.fetch(queries.REPORT_STATES, programme.id, str(key), like)
        opens_at = period_schedule(key, statistics.schedule.for_period(key.kind)).opens_at
        expected = await connection.fetch(
            queries.ROSTER_COUNTS, programme.id, str(key), opens_at, like
        )
    basis, rows = published_rows(
        statistics,
        indicator,
        key,
        figures,
        jurisdiction=programme.jurisdiction,
        region=region,
        by=by,
    )
    completeness: dict[str, CompletenessCount] = {}
    for state_row in states:
        count = completeness.setdefault(
            state_row["reporter_kind"], CompletenessCount(reports=0, accepted=0, under_review=0)
        )
        count.reports += state_row["reports"]
        if state_row["state"] == "accepted":
            count.accepted += state_row["reports"]
        else:
            count.under_review += state_row["reports"]
    for roster_row in expected:
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
        for r in rows
        if may_see_region(principal, r.region_code)
    ]
    return StatisticsPublic(
        programme_id=programme.id,
        indicator=indicator,
        name_zh=chosen.name_zh,
        unit=chosen.unit.value,
        aggregation=chosen.aggregation.value,
        basis=basis,
        period=str(key),
        region=region,
        by=by,
        provisional=any(r.provisional for r in public_rows),
        rows=public_rows,
        completeness=completeness,
    )
