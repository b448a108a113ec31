"""The published figures of one indicator and period over a region and its children
(docs/statistics.md, *Published*): the figures in force summed with growth, and the counts of
the period's reports and roster under the region (its completeness)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.i18n import t
from shared.programmes import Programme, Statistics, StatisticsIndicator
from submissions.db.statistics_repository import published_reads
from submissions.domain.errors import Refused
from submissions.domain.statistics.periods import PERIOD_NAMES, PeriodKey, period_opens_at
from submissions.domain.statistics.published import PublishedRow, published_rows
from submissions.handlers.common import Context, NotFound, Pool
from submissions.handlers.statistics import period_of


def programme_collecting(
    context: Context, programme_id: str | None, indicator: str, region: str
) -> tuple[Programme, Statistics]:
    """The programme (``programme_id``, else the first by id) whose jurisdiction holds the
    region and which collects the indicator; ``NotFound`` when none does."""
    for programme in sorted(context.programmes.values(), key=lambda p: p.id):
        statistics = programme.statistics
        if programme_id is not None and programme.id != programme_id:
            continue
        root = programme.jurisdiction
        inside = region[:2] == root[:2] if root.endswith("0000") else region[:4] == root[:4]
        if statistics is None or not inside:
            continue
        if any(i.id == indicator for i in statistics.indicators):
            return programme, statistics
    raise NotFound("statistics indicator", f"{indicator} / {region}")


@dataclass(frozen=True)
class PublishedView:
    programme: Programme
    indicator: StatisticsIndicator
    period: PeriodKey
    basis: str  # regional or monitored_enterprises
    rows: list[PublishedRow]  # the region's, then its children's
    # reports under the region by reporter kind and state (reporter_kind, state, reports)
    report_states: Sequence[Mapping[str, Any]]
    # expected and missing reporters by kind (reporter_kind, expected, missing)
    roster_counts: Sequence[Mapping[str, Any]]


def _subtree(region: str) -> str:
    """The LIKE pattern of the region and everything under it."""
    if region.endswith("0000"):
        return region[:2] + "%"
    return region[:4] + "%" if region.endswith("00") else region


async def published_view(
    pool: Pool,
    context: Context,
    *,
    indicator: str,
    period: str,
    region: str,
    by: str,
    programme_id: str | None,
) -> PublishedView:
    """``NotFound`` when no programme collects the indicator in the region; ``Refused`` for a
    period that is not of the indicator's kind."""
    programme, statistics = programme_collecting(context, programme_id, indicator, region)
    key = period_of(period)
    chosen = statistics.indicator(indicator)
    if chosen.period is not key.kind:
        raise Refused(
            "invalid_period",
            t(
                f"指标 {indicator} 按{PERIOD_NAMES[chosen.period.value]}统计",
                f"{indicator} is {chosen.period.value}",
            ),
            field="period",
        )
    parts = [i for i in (chosen.id, chosen.numerator, chosen.denominator) if i]
    periods = [str(key), str(key.previous()), str(key.a_year_earlier())]
    opens_at = period_opens_at(key)  # the schedule's opening, without its deadlines
    async with pool.acquire() as connection:
        reads = await published_reads(
            connection,
            programme_id=programme.id,
            indicators=parts,
            periods=periods,
            root=programme.jurisdiction,
            period=str(key),
            region_like=_subtree(region),
            opens_at=opens_at,
        )
    basis, rows = published_rows(
        statistics,
        indicator,
        key,
        reads.figures,
        jurisdiction=programme.jurisdiction,
        region=region,
        by=by,
    )
    return PublishedView(
        programme, chosen, key, basis, rows, reads.report_states, reads.roster_counts
    )
