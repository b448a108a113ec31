"""The statistics report (统计报告) of a period as the caller may see it: the indicators of the
period's kind, their sums, the chart indicator and its growth by period — what the XLSX, PDF
and PNG are drawn from (``submissions.rendering``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.i18n import t
from shared.programmes import Programme, StatisticsIndicator
from submissions.db.statistics_repository import figures_in_force
from submissions.domain.errors import Refused
from submissions.domain.statistics.aggregation import Aggregate
from submissions.domain.statistics.periods import PERIOD_NAMES, PeriodKey
from submissions.domain.statistics.published import MonthPoint, month_points, visible_sums
from submissions.handlers.common import Context, NotFound, Pool
from submissions.handlers.statistics import period_of

# The chart shows online retail where the programme collects it.
CHART_INDICATOR = "online_retail_sales"


@dataclass(frozen=True)
class ReportData:
    programme: Programme
    period: PeriodKey
    indicators: list[StatisticsIndicator]
    sums: dict[str, Aggregate]  # indicator id → the sums the caller may see
    chart: StatisticsIndicator  # online retail where the programme collects it
    months: list[MonthPoint]  # the year's periods up to this one, with year-on-year growth


async def statistics_report(
    pool: Pool,
    context: Context,
    programme_id: str,
    period: str,
    *,
    may_see: Callable[[str], bool],
) -> ReportData:
    """The requested period's report with the regions ``may_see`` answers for; ``NotFound``
    for a programme without statistics, ``Refused`` for a period it has no indicators of."""
    programme = context.programmes.get(programme_id)
    if programme is None or programme.statistics is None:
        raise NotFound("programme with statistics", programme_id)
    statistics = programme.statistics
    key = period_of(period)
    indicators = [i for i in statistics.indicators if i.period is key.kind]
    if not indicators:
        raise Refused(
            "invalid_period",
            t(
                f"没有按{PERIOD_NAMES[key.kind.value]}统计的指标",
                f"no {key.kind.value} indicators",
            ),
            field="period",
        )
    chart = next((i for i in indicators if i.id == CHART_INDICATOR), indicators[0])
    months = [PeriodKey(key.kind, key.year, index) for index in range(1, key.index + 1)]
    wanted = {str(p) for p in months} | {str(p.a_year_earlier()) for p in months}
    root = programme.jurisdiction
    async with pool.acquire() as connection:
        found = await figures_in_force(
            connection,
            programme_id=programme.id,
            indicators=[i.id for i in indicators],
            periods=sorted(wanted),
            root=root,
        )
    current = visible_sums(statistics, indicators, found[str(key)], root=root, may_see=may_see)
    points = month_points(statistics, chart, months, found, root=root, root_visible=may_see(root))
    return ReportData(programme, key, indicators, current, chart, points)
