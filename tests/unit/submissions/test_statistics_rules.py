"""Statistics rules without I/O: periods across a year boundary, figures, sums, growth."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from shared.programmes import Statistics, StatisticsPeriod, load_programme
from submissions.domain.statistics.aggregation import (
    ReportedFigure,
    aggregate,
    changed_regions,
    growth,
)
from submissions.domain.statistics.figures import ReporterKind, check_figures
from submissions.domain.statistics.periods import parse_period, period_schedule
from tests.support.languages import wholly_chinese, wholly_english

ROOT = Path(__file__).resolve().parents[3]
D = Decimal


@pytest.fixture(scope="module")
def qinghai() -> Statistics:
    statistics = load_programme(ROOT / "shared/programmes/qinghai-2024-2026.yaml").statistics
    assert statistics is not None
    return statistics


# -- periods ---------------------------------------------------------------------------------


def test_periods_step_across_the_year_boundary() -> None:
    january = parse_period("2025-01")
    assert str(january.previous()) == "2024-12"
    assert str(january.a_year_earlier()) == "2024-01"
    assert str(parse_period("2025-Q1").previous()) == "2024-Q4"
    assert str(parse_period("2025").previous()) == "2024"
    assert parse_period("2025-Q2").first_day() == dt.date(2025, 4, 1)
    assert parse_period("2024-02").last_day() == dt.date(2024, 2, 29)
    for bad in ("2025-13", "2025-Q5", "25-01", "2025-1"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_december_is_due_on_the_10th_of_january(qinghai: Statistics) -> None:
    due = qinghai.schedule.for_period(StatisticsPeriod.monthly)
    schedule = period_schedule(parse_period("2024-12"), due)
    china = dt.timezone(dt.timedelta(hours=8))
    assert schedule.opens_at == dt.datetime(2025, 1, 1, tzinfo=china)
    assert schedule.due_at == dt.datetime(2025, 1, 11, tzinfo=china)  # end of 10 January
    assert schedule.grace_until == dt.datetime(2025, 1, 16, tzinfo=china)
    assert schedule.locks_at == dt.datetime(2025, 2, 10, tzinfo=china)


# -- figures ---------------------------------------------------------------------------------


def _errors(statistics: Statistics, kind: ReporterKind, figures: dict[str, object]) -> dict:
    _, errors = check_figures(
        statistics, kind=kind, period=StatisticsPeriod.monthly, figures=figures
    )
    # Each said in both languages where the rule refuses, each wholly in its language.
    for error in errors:
        assert wholly_chinese(error.text.zh), error.text.zh
        assert wholly_english(error.text.en), error.text.en
    return {e.field: e.code for e in errors}


def test_valid_figures_are_exact(qinghai: Statistics) -> None:
    values, errors = check_figures(
        qinghai,
        kind=ReporterKind.county,
        period=StatisticsPeriod.monthly,
        figures={"online_retail_sales": "1234567.89", "physical_goods_online_retail_sales": 1000},
    )
    assert errors == []
    assert values["online_retail_sales"] == D("1234567.89")


def test_bad_figures_each_name_their_field(qinghai: Statistics) -> None:
    assert _errors(
        qinghai,
        ReporterKind.county,
        {
            "online_retail_sales": "100",
            "physical_goods_online_retail_sales": "101",  # above the total
            "gross_domestic_product": "1",  # not collected
            "cross_border_trade.9610_export": "1",  # a city-level indicator
            "rural_online_retail_sales": "-1",
            "agricultural_online_retail_sales": 0.1,  # a float is never exact
            "physical_goods_share": "50",  # derived, never reported
            "online_stores": 3,  # quarterly, in a monthly report
        },
    ) == {
        "physical_goods_online_retail_sales": "above_total",
        "gross_domestic_product": "unknown_indicator",
        "cross_border_trade.9610_export": "wrong_level",
        "rural_online_retail_sales": "negative",
        "agricultural_online_retail_sales": "wrong_type",
        "physical_goods_share": "derived",
        "online_stores": "wrong_period",
    }
    assert _errors(
        qinghai,
        ReporterKind.city,
        {
            "cross_border_trade.9999_export": "1",
            "cross_border_trade.9710_import": "1",  # 9710 is export only
            "cross_border_trade.1210_import": "1.005",  # more than fen
            "cross_border_trade.9810_export": "1e20",  # a typo, not a figure
            "online_retail_sales": "5",  # the city's own total: taken, for reconciliation
            "live_sessions": 3,  # an enterprise figure
        },
    ) == {
        "cross_border_trade.9999_export": "unknown_customs_mode",
        "cross_border_trade.9710_import": "unknown_customs_mode",
        "cross_border_trade.1210_import": "wrong_type",
        "cross_border_trade.9810_export": "out_of_bounds",
        "live_sessions": "wrong_level",
    }
    assert _errors(qinghai, ReporterKind.county, {}) == {"figures": "empty"}


# -- aggregation -----------------------------------------------------------------------------

XINING, DATONG, HUANGZHONG = "630100", "630121", "630123"
HAIDONG, LEDU = "630200", "630202"


def _county(region: str, key: str, value: str, provisional: bool = False) -> ReportedFigure:
    return ReportedFigure(region, ReporterKind.county, region, key, D(value), provisional)


def _tree(datong: str = "100") -> list[ReportedFigure]:
    return [
        _county(DATONG, "online_retail_sales", datong),
        _county(DATONG, "physical_goods_online_retail_sales", "80"),
        _county(HUANGZHONG, "online_retail_sales", "50.50"),
        _county(HUANGZHONG, "physical_goods_online_retail_sales", "20"),
        _county(LEDU, "online_retail_sales", "30", provisional=True),
        # Xining also reports its own total: reconciled, never added
        ReportedFigure(XINING, ReporterKind.city, XINING, "online_retail_sales", D("160")),
        ReportedFigure("ent-1", ReporterKind.enterprise, DATONG, "live_commerce_sales", D("7")),
    ]


def test_sums_come_from_counties_and_the_city_total_is_reconciled(qinghai: Statistics) -> None:
    result = aggregate(qinghai, "online_retail_sales", _tree(), root="630000")
    assert result.basis == "regional"
    assert result.totals[XINING].value == D("150.50")  # 100 + 50.50, not + 160
    assert result.totals["630000"].value == D("180.50")
    assert result.totals["630000"].reporters == 3
    assert result.totals["630000"].provisional  # Ledu is not accepted yet
    assert not result.totals[XINING].provisional
    reconciliation = result.reconciliations[XINING]
    assert (reconciliation.reported, reconciliation.difference) == (D("160"), D("9.50"))
    assert HAIDONG not in result.reconciliations


def test_a_ratio_is_derived_at_every_level_never_summed(qinghai: Statistics) -> None:
    result = aggregate(qinghai, "physical_goods_share", _tree(), root="630000")
    assert result.totals[DATONG].value == D("80.00")
    assert result.totals[HUANGZHONG].value == D("39.60")
    # (80 + 20) / 150.50, not 80 % + 39.6 %
    assert result.totals[XINING].value == D("66.45")
    assert result.totals[LEDU].value is None  # no physical-goods figure: unknown, not 0 %


def test_enterprise_figures_are_monitoring_data_apart(qinghai: Statistics) -> None:
    result = aggregate(qinghai, "live_commerce_sales", _tree(), root="630000")
    assert result.basis == "monitored_enterprises"
    assert result.totals["630000"].value == D("7")
    assert aggregate(qinghai, "online_retail_sales", _tree(), root="630000").totals[
        DATONG
    ].value == D("100")


def test_customs_modes_sum_with_a_breakdown(qinghai: Statistics) -> None:
    figures = [
        ReportedFigure(XINING, ReporterKind.city, XINING, "cross_border_trade.9610_export", D("2")),
        ReportedFigure(XINING, ReporterKind.city, XINING, "cross_border_trade.1210_import", D("3")),
        ReportedFigure(
            HAIDONG, ReporterKind.city, HAIDONG, "cross_border_trade.9610_export", D("4")
        ),
    ]
    total = aggregate(qinghai, "cross_border_trade", figures, root="630000").totals["630000"]
    assert total.value == D("9")
    assert total.breakdown == {
        "cross_border_trade.1210_import": D("3"),
        "cross_border_trade.9610_export": D("6"),
    }


def test_growth_across_a_year_boundary(qinghai: Statistics) -> None:
    january = aggregate(qinghai, "online_retail_sales", _tree("110"), root="630000")
    december = aggregate(qinghai, "online_retail_sales", _tree("100"), root="630000")
    a_year_ago = aggregate(qinghai, "online_retail_sales", _tree("40"), root="630000")
    now = january.totals["630000"].value
    assert growth(now, december.totals["630000"].value) == D("5.5")  # 190.5 / 180.5
    assert growth(now, a_year_ago.totals["630000"].value) == D("58.1")  # 190.5 / 120.5
    assert growth(now, None) is None and growth(now, D(0)) is None


def test_a_correction_after_publication_changes_the_sums_above_it(qinghai: Statistics) -> None:
    published = aggregate(qinghai, "online_retail_sales", _tree("100"), root="630000")
    corrected = aggregate(qinghai, "online_retail_sales", _tree("120"), root="630000")
    assert changed_regions(published, corrected) == ["630000", XINING, DATONG]
    assert corrected.reconciliations[XINING].difference == D("-10.50")


def test_enterprise_figures_replace_regional_ones_only_when_the_programme_says(
    qinghai: Statistics,
) -> None:
    indicators = tuple(
        i.model_copy(update={"counts_as_regional": True}) if i.id == "live_commerce_sales" else i
        for i in qinghai.indicators
    )
    replacing = qinghai.model_copy(update={"indicators": indicators})
    result = aggregate(replacing, "live_commerce_sales", _tree(), root="630000")
    assert result.basis == "regional" and result.totals["630000"].value == D("7")


def test_due_days_are_configurable_per_programme(qinghai: Statistics) -> None:
    later = qinghai.schedule.monthly.model_copy(update={"due_day": 15, "lock_days": 10})
    schedule = period_schedule(parse_period("2024-12"), later)
    china = dt.timezone(dt.timedelta(hours=8))
    assert schedule.due_at == dt.datetime(2025, 1, 16, tzinfo=china)  # end of 15 January
    assert schedule.locks_at == dt.datetime(2025, 1, 26, tzinfo=china)
