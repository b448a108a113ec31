"""The statistics indicator system (统计指标体系) of a programme, as data.

000_97a6efa9592fa78d.txt 三(三) asks for a statistics monitoring system with a scientific
indicator system, regular statistics reports and no double counting (避免重复统计、交叉统计);
003_a7131506b2ab4421.txt 二 16 has typical enterprises report their figures (组织典型企业积极做好
统计数据的报送工作). Which indicators, who reports each, the periods and the due days are
configurable defaults (docs/programmes.md, *Statistics*; docs/statistics.md).

One reporting level per indicator: sums are built from that level only, so nothing is counted
twice. ``city_reports_total`` lets a city also send its own total of a county-level indicator;
it is shown against the sum of its counties (reconciliation), never added to it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from shared.programmes.common import Frozen, Indicator, SourceRef, Unit, one_of
from shared.programmes.reporting import ReminderOffsets

# Customs supervision modes of cross-border e-commerce and the directions each allows: 9610
# 直购进出口 (B2C retail), 9710 跨境电商B2B直接出口, 9810 跨境电商出口海外仓, 1210 保税跨境贸易电子商务
# (000 二(一)7 names 9610零售出口、9710直接出口、9810海外仓出口、1210保税进出口).
CUSTOMS_MODES: dict[str, frozenset[str]] = {
    "9610": frozenset({"import", "export"}),
    "9710": frozenset({"export"}),
    "9810": frozenset({"export"}),
    "1210": frozenset({"import", "export"}),
}


class StatisticsPeriod(StrEnum):
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


class ReportingLevel(StrEnum):
    """Who reports an indicator: a county bureau, a city bureau, or a monitored enterprise."""

    county = "county"
    city = "city"
    enterprise = "enterprise"


class Aggregation(StrEnum):
    """``sum``: added up the hierarchy; ``derived``: recomputed at every level, never summed."""

    sum = "sum"
    derived = "derived"


class StatisticsIndicator(Indicator):
    period: StatisticsPeriod = StatisticsPeriod.monthly
    level: ReportingLevel = ReportingLevel.county
    aggregation: Aggregation = Aggregation.sum
    numerator: str | None = Field(default=None, description="derived: numerator indicator id")
    denominator: str | None = Field(default=None, description="derived: denominator indicator id")
    not_above: str | None = Field(
        default=None, description="this figure may not exceed that indicator's in one report"
    )
    by_customs_mode: bool = Field(
        default=False, description="reported per customs mode and direction (9610_export …)"
    )
    city_reports_total: bool = Field(
        default=False, description="a county-level indicator the city also reports as a total"
    )
    counts_as_regional: bool = Field(
        default=False,
        description="enterprise level only: the enterprises' sum stands as the regional figure",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        derived = self.aggregation is Aggregation.derived
        if derived != (self.numerator is not None and self.denominator is not None):
            raise ValueError("a derived indicator has a numerator and a denominator, and only it")
        if derived and self.unit is not Unit.percent:
            raise ValueError("a derived indicator is a ratio: unit percent")
        if self.city_reports_total and self.level is not ReportingLevel.county:
            raise ValueError("city_reports_total applies to county-level indicators")
        if self.counts_as_regional and self.level is not ReportingLevel.enterprise:
            raise ValueError("counts_as_regional applies to enterprise-level indicators")
        if self.by_customs_mode and self.unit is not Unit.cny:
            raise ValueError("a customs-mode breakdown is an amount: unit cny")
        return self

    def figure_keys(self, modes: tuple[str, ...]) -> tuple[str, ...]:
        """The keys a report uses: the id, or ``<id>.<mode>_<direction>`` per customs mode."""
        if not self.by_customs_mode:
            return (self.id,)
        return tuple(
            f"{self.id}.{mode}_{direction}"
            for mode in modes
            for direction in sorted(CUSTOMS_MODES[mode])
        )


class PeriodDue(Frozen):
    """When one period's figures are due: the end of ``due_day`` of the ``months_after``-th
    month after the period ends (monthly default: the 10th of the next month)."""

    due_day: int = Field(default=10, ge=1, le=28)
    months_after: int = Field(default=1, ge=1, le=12)
    grace_days: int = Field(default=5, ge=0, le=60)
    lock_days: int = Field(default=30, ge=0, le=366, description="after the due time")


class StatisticsSchedule(Frozen):
    monthly: PeriodDue = PeriodDue()
    quarterly: PeriodDue = PeriodDue(due_day=15)
    yearly: PeriodDue = PeriodDue(due_day=20)
    # The deadline clock's reminders for every open period (points before the period opens
    # are dropped): a monthly window is only ten days long, hence shorter than the annual's.
    reminders: ReminderOffsets = ReminderOffsets(before_days=(3, 1), after_days=(1, 3))

    def for_period(self, period: StatisticsPeriod) -> PeriodDue:
        return {
            StatisticsPeriod.monthly: self.monthly,
            StatisticsPeriod.quarterly: self.quarterly,
            StatisticsPeriod.yearly: self.yearly,
        }[period]


class Statistics(Frozen):
    """A programme's statistics section: indicators, customs modes collected, due days."""

    defaults: bool = Field(description="true when the indicators are not the document's own")
    note: str | None = None
    customs_modes: tuple[str, ...] = ("9610", "9710", "9810", "1210")
    schedule: StatisticsSchedule = StatisticsSchedule()
    indicators: tuple[StatisticsIndicator, ...] = Field(min_length=1)
    source_ref: SourceRef
    see_also: tuple[SourceRef, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        unknown = [mode for mode in self.customs_modes if mode not in CUSTOMS_MODES]
        if unknown:
            raise ValueError(f"unknown customs modes {unknown}; known: {sorted(CUSTOMS_MODES)}")
        ids = [indicator.id for indicator in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError("statistics indicators: an id appears more than once")
        by_id = {indicator.id: indicator for indicator in self.indicators}
        for indicator in self.indicators:
            for name in ("numerator", "denominator", "not_above"):
                other_id = getattr(indicator, name)
                if other_id is None:
                    continue
                other = by_id.get(other_id)
                if other is None or other.aggregation is not Aggregation.sum:
                    raise ValueError(f"{indicator.id}.{name}: no summed indicator {other_id!r}")
                if other.period is not indicator.period:
                    raise ValueError(f"{indicator.id}.{name}: {other_id!r} has another period")
                if name == "not_above" and (other.unit, other.level) != (
                    indicator.unit,
                    indicator.level,
                ):
                    raise ValueError(f"{indicator.id}.not_above: another unit or level")
        return self

    def indicator(self, indicator_id: str) -> StatisticsIndicator:
        return one_of(self.indicators, indicator_id, key=lambda indicator: indicator.id)
