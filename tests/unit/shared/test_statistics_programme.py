"""The statistics section of the programme files: indicators as data, checked on load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.programmes import (
    Aggregation,
    ProgrammeFileError,
    ReportingLevel,
    StatisticsPeriod,
    Unit,
    load_programmes,
    parse_programme,
)

PROGRAMMES = Path(__file__).resolve().parents[3] / "shared" / "programmes"


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    return load_programmes(PROGRAMMES)


def test_every_shipped_programme_has_a_statistics_section(shipped: dict[str, Any]) -> None:
    for programme in shipped.values():
        assert programme.statistics is not None and programme.statistics.defaults


def test_qinghai_indicators(shipped: dict[str, Any]) -> None:
    statistics = shipped["qinghai-2024-2026"].statistics
    retail = statistics.indicator("online_retail_sales")
    assert (retail.unit, retail.period, retail.level) == (
        Unit.cny,
        StatisticsPeriod.monthly,
        ReportingLevel.county,
    )
    assert retail.city_reports_total
    share = statistics.indicator("physical_goods_share")
    assert share.aggregation is Aggregation.derived
    assert statistics.indicator("physical_goods_online_retail_sales").not_above == retail.id
    cross_border = statistics.indicator("cross_border_trade")
    assert cross_border.figure_keys(statistics.customs_modes) == (
        "cross_border_trade.9610_export",
        "cross_border_trade.9610_import",
        "cross_border_trade.9710_export",
        "cross_border_trade.9810_export",
        "cross_border_trade.1210_export",
        "cross_border_trade.1210_import",
    )
    monthly = statistics.schedule.for_period(StatisticsPeriod.monthly)
    assert (monthly.due_day, monthly.months_after) == (10, 1)


def test_qingdao_collects_enterprise_figures_and_two_customs_modes(
    shipped: dict[str, Any],
) -> None:
    statistics = shipped["qingdao-2014"].statistics
    assert statistics.customs_modes == ("9610", "1210")
    assert statistics.indicator("cross_border_trade").level is ReportingLevel.enterprise


def _with_statistics(section: dict[str, Any]) -> str:
    data = yaml.safe_load((PROGRAMMES / "qinghai-2024-2026.yaml").read_text(encoding="utf-8"))
    data["statistics"] = section
    return yaml.safe_dump(data, allow_unicode=True)


BASE = {
    "defaults": True,
    "source_ref": {"file": "000_97a6efa9592fa78d.txt", "section": "三（三）", "quote": "x"},
}
RETAIL = {"id": "retail", "name_zh": "网络零售额", "name_en": "retail", "unit": "cny"}


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({**BASE, "customs_modes": ["9999"], "indicators": [RETAIL]}, "unknown customs modes"),
        ({**BASE, "indicators": [RETAIL, RETAIL]}, "more than once"),
        (
            {
                **BASE,
                "indicators": [
                    RETAIL,
                    {**RETAIL, "id": "share", "unit": "percent", "aggregation": "derived"},
                ],
            },
            "numerator",
        ),
        (
            {**BASE, "indicators": [RETAIL, {**RETAIL, "id": "part", "not_above": "missing"}]},
            "no summed indicator",
        ),
        (
            {**BASE, "indicators": [{**RETAIL, "level": "city", "city_reports_total": True}]},
            "county",
        ),
    ],
)
def test_inconsistent_sections_are_refused(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ProgrammeFileError, match=message):
        parse_programme(_with_statistics(section), path=Path("x.yaml"))
