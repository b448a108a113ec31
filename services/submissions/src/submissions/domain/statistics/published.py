"""The published view of one indicator and period: a region and its children, each with
year-on-year and period-on-period growth and whether it is still provisional; and the 统计报告's
sums as a caller may see them, with the chart indicator's year-on-year growth by period."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from shared.programmes import Aggregation, Statistics, StatisticsIndicator
from submissions.domain.statistics.aggregation import (
    Aggregate,
    Reconciliation,
    ReportedFigure,
    Total,
    aggregate,
    growth,
)
from submissions.domain.statistics.periods import PeriodKey


@dataclass(frozen=True)
class MonthPoint:
    """One period of the year up to the report's: the chart indicator's value and its
    year-on-year growth (the 统计报告's line chart)."""

    period: str
    value: Decimal | None
    year_on_year: Decimal | None


@dataclass(frozen=True)
class PublishedRow:
    region_code: str
    level: str
    value: Decimal | None
    reporters: int
    provisional: bool
    year_on_year: Decimal | None
    period_on_period: Decimal | None
    breakdown: Mapping[str, Decimal] = field(default_factory=dict)
    reconciliation: Reconciliation | None = None


def level_of(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def children_of(root: str, code: str, by: str) -> bool:
    """``code`` lies under ``root`` at the ``by`` level (city or county)."""
    if code == root or level_of(code) != by:
        return False
    return code[:2] == root[:2] if root.endswith("0000") else code[:4] == root[:4]


def published_rows(
    statistics: Statistics,
    indicator_id: str,
    period: PeriodKey,
    figures: Mapping[str, list[ReportedFigure]],
    *,
    jurisdiction: str,
    region: str,
    by: str,
) -> tuple[str, list[PublishedRow]]:
    """The basis (regional or monitored_enterprises) and the region's row then its children's."""
    indicator = statistics.indicator(indicator_id)

    kept: dict[str, bool] = {}

    def shown(code: str) -> bool:
        # Asked for each region of each period's figures: answered once per region.
        answer = kept.get(code)
        if answer is None:
            answer = kept[code] = code == region or children_of(region, code, by)
        return answer

    def at(key: PeriodKey) -> Aggregate:
        # Only the rows' regions are totalled: the view shows no other region's sums.
        return aggregate(
            statistics, indicator_id, figures.get(str(key), []), root=jurisdiction, regions=shown
        )

    now, before, a_year_ago = at(period), at(period.previous()), at(period.a_year_earlier())
    summed = indicator.aggregation is Aggregation.sum
    codes = [region, *sorted(c for c in now.totals if children_of(region, c, by))]
    rows = []
    for code in codes:
        total = now.totals.get(code, Total(None))

        def earlier(other: Aggregate, code: str = code, total: Total = total) -> Decimal | None:
            if not summed:
                return None  # growth of a ratio is not a growth rate: compare the points
            found = other.totals.get(code)
            return growth(total.value, found.value if found else None)

        rows.append(
            PublishedRow(
                region_code=code,
                level=level_of(code),
                value=total.value,
                reporters=total.reporters,
                provisional=total.provisional,
                year_on_year=earlier(a_year_ago),
                period_on_period=earlier(before),
                breakdown=total.breakdown,
                reconciliation=now.reconciliations.get(code),
            )
        )
    return now.basis, rows


def visible_sums(
    statistics: Statistics,
    indicators: Sequence[StatisticsIndicator],
    figures: list[ReportedFigure],
    *,
    root: str,
    may_see: Callable[[str], bool],
) -> dict[str, Aggregate]:
    """Each indicator's sums over ``figures``, keeping the regions ``may_see`` answers for."""
    sums = {i.id: aggregate(statistics, i.id, figures, root=root) for i in indicators}
    return {
        indicator_id: dataclasses.replace(
            result, totals={c: t for c, t in result.totals.items() if may_see(c)}
        )
        for indicator_id, result in sums.items()
    }


def month_points(
    statistics: Statistics,
    chart: StatisticsIndicator,
    periods: Sequence[PeriodKey],
    figures: Mapping[str, list[ReportedFigure]],
    *,
    root: str,
    root_visible: bool,
) -> list[MonthPoint]:
    """The chart indicator's total over ``root`` in each of ``periods`` (None where the caller
    may not see ``root``), with its growth over the same period a year earlier."""
    points = []
    for period in periods:
        now = aggregate(statistics, chart.id, figures[str(period)], root=root).totals.get(root)
        before = aggregate(
            statistics, chart.id, figures[str(period.a_year_earlier())], root=root
        ).totals.get(root)
        value = now.value if now and root_visible else None
        points.append(
            MonthPoint(str(period), value, growth(value, before.value if before else None))
        )
    return points
