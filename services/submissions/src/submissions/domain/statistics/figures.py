"""One statistics report's figures against the programme's indicator system.

Each error names its figure (``body.figures.<key>`` in the API). Money is exact: Decimal yuan
with at most 2 places (fen), never a float; counts and persons are whole numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.i18n import Text, t
from shared.programmes import (
    CUSTOMS_MODES,
    Aggregation,
    ReportingLevel,
    Statistics,
    StatisticsIndicator,
    StatisticsPeriod,
    Unit,
)

WHOLE = frozenset({Unit.count, Unit.persons})
# Far above any region's yearly figure (10^15 yuan is ten times China's GDP); keeps a typo or a
# hostile 1e999999 out of the sums.
LIMIT = Decimal(10) ** 15


class ReporterKind(StrEnum):
    """Who sends a report: a county bureau, a city bureau, or a monitored enterprise (典型企业)."""

    county = "county"
    city = "city"
    enterprise = "enterprise"


# Who reports, and how often, as a Chinese sentence names them.
_LEVEL_ZH = {"county": "县级商务主管部门", "city": "市级商务主管部门", "enterprise": "监测企业"}
_PERIOD_ZH = {
    StatisticsPeriod.monthly: "月度",
    StatisticsPeriod.quarterly: "季度",
    StatisticsPeriod.yearly: "年度",
}
_NO_SUCH_INDICATOR = t("本规划不采集该指标", "the programme collects no such indicator")


@dataclass(frozen=True)
class FigureError:
    """One refused figure; ``text`` says why in both languages (the problem's language)."""

    field: str
    code: str
    text: Text

    @property
    def message(self) -> str:
        return self.text.en


def indicator_of(statistics: Statistics, key: str) -> StatisticsIndicator | None:
    """The indicator a figure key belongs to (``cross_border_trade.9610_export`` -> its id)."""
    try:
        return statistics.indicator(key.split(".", 1)[0])
    except KeyError:
        return None


def reported_levels(kind: ReporterKind, indicator: StatisticsIndicator) -> bool:
    """Whether this kind of reporter sends this indicator: its own level, or a city's total of
    a county-level indicator marked ``city_reports_total`` (kept for reconciliation only)."""
    if indicator.level.value == kind.value:
        return True
    return (
        kind is ReporterKind.city
        and indicator.level is ReportingLevel.county
        and indicator.city_reports_total
    )


def check_figures(
    statistics: Statistics,
    *,
    kind: ReporterKind,
    period: StatisticsPeriod,
    figures: Mapping[str, Any],
) -> tuple[dict[str, Decimal | int], list[FigureError]]:
    """The figures as exact numbers, and every error found (empty when valid)."""
    values: dict[str, Decimal | int] = {}
    errors: list[FigureError] = []
    if not figures:
        errors.append(
            FigureError(
                "figures",
                "empty",
                t("报表至少须填报一项数据", "a report has at least one figure"),
            )
        )
    for key, raw in figures.items():
        error = _check_one(statistics, kind, period, key, raw)
        if error is not None:
            errors.append(FigureError(key, *error))
            continue
        indicator = indicator_of(statistics, key)
        if indicator is None:  # _check_one refuses a figure of no indicator
            raise ValueError(f"no indicator for the figure {key}")
        values[key] = int(raw) if indicator.unit in WHOLE else Decimal(str(raw))
    for key, value in values.items():
        indicator = indicator_of(statistics, key)
        if indicator is None or indicator.not_above is None or key != indicator.id:
            continue
        limit = values.get(indicator.not_above)
        if limit is not None and value > limit:
            total = indicator_of(statistics, indicator.not_above)
            total_zh = total.name_zh if total is not None else indicator.not_above
            errors.append(
                FigureError(
                    key,
                    "above_total",
                    t(
                        f"{indicator.name_zh}（{value}）超过{total_zh}（{limit}）",
                        f"{key} ({value}) exceeds {indicator.not_above}",
                    ),
                )
            )
    return values, errors


def _check_one(
    statistics: Statistics, kind: ReporterKind, period: StatisticsPeriod, key: str, raw: Any
) -> tuple[str, Text] | None:
    indicator = indicator_of(statistics, key)
    if indicator is None:
        return "unknown_indicator", _NO_SUCH_INDICATOR
    if indicator.aggregation is Aggregation.derived:
        return "derived", t(
            "比率由其分子和分母计算得出，不填报",
            "a ratio is computed from its parts, never reported",
        )
    if not reported_levels(kind, indicator):
        return "wrong_level", t(
            f"该指标由{_LEVEL_ZH[indicator.level.value]}填报，{_LEVEL_ZH[kind.value]}不报此项",
            f"reported by the {indicator.level.value} level, not a {kind.value}",
        )
    if indicator.period is not period:
        return "wrong_period", t(
            f"该指标为{_PERIOD_ZH[indicator.period]}指标",
            f"a {indicator.period.value} indicator",
        )
    if indicator.by_customs_mode:
        mode_error = _customs_mode(statistics, indicator, key)
        if mode_error is not None:
            return mode_error
    elif key != indicator.id:
        return "unknown_indicator", _NO_SUCH_INDICATOR
    return _number(indicator, raw)


def _customs_mode(
    statistics: Statistics, indicator: StatisticsIndicator, key: str
) -> tuple[str, Text] | None:
    _, _, suffix = key.partition(".")
    mode, _, direction = suffix.partition("_")
    if key in indicator.figure_keys(statistics.customs_modes):
        return None
    known = ", ".join(indicator.figure_keys(statistics.customs_modes))
    if mode not in CUSTOMS_MODES or direction not in CUSTOMS_MODES[mode]:
        return "unknown_customs_mode", t(
            f"没有海关监管方式“{suffix}”，可选：{known}",
            f"no customs mode {suffix!r}; one of {known}",
        )
    return "unknown_customs_mode", t(
        f"本规划不采集“{suffix}”，可选：{known}",
        f"the programme does not collect {suffix!r}; one of {known}",
    )


def _number(indicator: StatisticsIndicator, raw: Any) -> tuple[str, Text] | None:
    # bool is an int in Python; a float has already lost exactness: both refused.
    if isinstance(raw, bool) or isinstance(raw, float) or not isinstance(raw, int | str | Decimal):
        return "wrong_type", t(
            "须为整数或十进制数字符串（精确值，不得为浮点数）",
            "a number as an integer or a decimal string (exact, never a float)",
        )
    try:
        value = Decimal(str(raw))
    except ArithmeticError:
        return "wrong_type", t("不是数字", "not a number")
    if not value.is_finite():
        return "wrong_type", t("不是有限的数", "not a finite number")
    if value < 0:
        return "negative", t("数据不得为负数", "a figure is never negative")
    if value >= LIMIT:
        return "out_of_bounds", t(f"数据须小于 {LIMIT:,}", f"a figure is below {LIMIT:,}")
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if indicator.unit in WHOLE and value != value.to_integral_value():
        return "wrong_type", t("须为整数", "a whole number")
    if indicator.unit is Unit.cny and places > 2:
        return "wrong_type", t(
            "金额以元计、精确到分：最多 2 位小数", "CNY to the fen: at most 2 decimal places"
        )
    return None
