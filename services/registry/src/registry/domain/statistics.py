"""Targets that are statistics (online retail and its parts, cross-border trade, their growth,
the physical-goods share), measured from the sums the submissions service publishes
(``published_statistics``, docs/statistics.md); their SQL is ``registry.db.targets``.

An amount target (网络零售额达1000亿) is an annual figure: the sum of the year's published
months (up to the latest one). A growth rate compares those months with the same months a year
earlier; a share divides two such sums. Nothing published for the year: not measurable, never 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from shared.programmes.common import Metric


@dataclass(frozen=True)
class StatisticMeasure:
    indicator: str
    kind: str  # sum, growth or share
    denominator: str | None = None

    @property
    def description(self) -> str:
        if self.kind == "growth":
            return (
                f"growth of the published statistics {self.indicator} over the same months a "
                "year earlier, percent"
            )
        if self.kind == "share":
            return f"published statistics {self.indicator} / {self.denominator}, percent"
        return f"published statistics {self.indicator}: the sum of the year's months"


STATISTIC_MEASURES: dict[Metric, StatisticMeasure] = {
    Metric.online_retail_sales: StatisticMeasure("online_retail_sales", "sum"),
    Metric.rural_online_retail_sales: StatisticMeasure("rural_online_retail_sales", "sum"),
    Metric.agricultural_online_retail_sales: StatisticMeasure(
        "agricultural_online_retail_sales", "sum"
    ),
    Metric.cross_border_transaction_volume: StatisticMeasure("cross_border_trade", "sum"),
    Metric.online_retail_growth_rate: StatisticMeasure("online_retail_sales", "growth"),
    Metric.physical_goods_online_retail_growth_rate: StatisticMeasure(
        "physical_goods_online_retail_sales", "growth"
    ),
    # Qingdao 2014 (003 一（二）): its districts report the transaction volume monthly.
    Metric.ecommerce_transaction_volume: StatisticMeasure("ecommerce_transaction_volume", "sum"),
    Metric.ecommerce_transaction_growth_rate: StatisticMeasure(
        "ecommerce_transaction_volume", "growth"
    ),
    Metric.physical_goods_share_of_online_retail: StatisticMeasure(
        "physical_goods_online_retail_sales", "share", denominator="online_retail_sales"
    ),
}

Months = dict[str, dict[dt.date, Decimal]]  # region code → first day of the month → value


def growth_of_months(now: dict[dt.date, Decimal], before: dict[dt.date, Decimal]) -> Decimal | None:
    """Percent to 0.1 over the months published in both years; None without a base."""
    shared = [month for month in now if month.replace(year=month.year - 1) in before]
    base = sum((before[m.replace(year=m.year - 1)] for m in shared), Decimal(0))
    if not shared or not base:
        return None
    current = sum((now[m] for m in shared), Decimal(0))
    return ((current - base) / base * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def share_of_months(part: dict[dt.date, Decimal], whole: dict[dt.date, Decimal]) -> Decimal | None:
    months = [month for month in whole if month in part]
    total = sum((whole[m] for m in months), Decimal(0))
    if not months or not total:
        return None
    return (sum((part[m] for m in months), Decimal(0)) / total * 100).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


def statistic_values(
    measure: StatisticMeasure,
    jurisdiction: str,
    now: Months,
    *,
    year_before: Months | None = None,
    whole: Months | None = None,
) -> tuple[Decimal | None, dict[str, Decimal]]:
    """The jurisdiction's value (None: nothing to measure) and each other region's, from the
    year's months (``now``), the same months a year earlier (growth) or the denominator's
    months (share)."""
    values: dict[str, Decimal | None]
    if measure.kind == "sum":
        values = {code: sum(months.values(), Decimal(0)) for code, months in now.items()}
    elif measure.kind == "growth":
        before = year_before or {}
        values = {
            code: growth_of_months(months, before.get(code, {})) for code, months in now.items()
        }
    else:
        denominator = whole or {}
        values = {
            code: share_of_months(months, denominator.get(code, {})) for code, months in now.items()
        }
    areas = {
        code: value for code, value in values.items() if value is not None and code != jurisdiction
    }
    return values.get(jurisdiction), areas


def period_start(period: str) -> tuple[str, dt.date]:
    """``2025-01`` (monthly), ``2025-Q1`` (quarterly), ``2025`` (yearly): kind, first day."""
    year, _, part = period.partition("-")
    if not part:
        return "yearly", dt.date(int(year), 1, 1)
    if part.startswith("Q"):
        return "quarterly", dt.date(int(year), 3 * int(part[1:]) - 2, 1)
    return "monthly", dt.date(int(year), int(part), 1)
