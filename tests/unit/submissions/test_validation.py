"""Checking a report against its template: errors name the field; large changes warn."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shared.programmes import Programme, ReportTemplate
from submissions.domain.validation import (
    MISSING_REWARD_FIGURE,
    REQUIRED_FOR_REWARD,
    ReportedFigure,
    check_report,
    check_reporters_report,
)
from tests.support.languages import wholly_chinese, wholly_english

REF = {"file": "004_9c19d9a85d8c1f73.txt", "section": "三（三）"}


def _valid() -> dict[str, Any]:
    return {
        "online_retail_sales": "1000000.00",
        "physical_goods_online_retail_sales": Decimal("800000"),
        "workers": 25,
    }


def test_a_valid_enterprise_report(guizhou: Programme) -> None:
    check = check_report(guizhou.report_template("enterprise"), _valid())
    assert check.errors == () and check.ready_to_submit
    assert check.figures == {
        "online_retail_sales": Decimal("1000000.00"),
        "physical_goods_online_retail_sales": Decimal(800000),
        "workers": 25,
    }
    assert isinstance(check.figures["workers"], int)


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"colour": 1}, "colour", "unknown_indicator"),
        ({"workers": None}, "workers", "required"),
        ({"workers": "25.5"}, "workers", "wrong_type"),
        ({"workers": True}, "workers", "wrong_type"),
        ({"online_retail_sales": 1000000.0}, "online_retail_sales", "wrong_type"),  # float
        ({"online_retail_sales": "lots"}, "online_retail_sales", "wrong_type"),
        ({"online_retail_sales": "NaN"}, "online_retail_sales", "wrong_type"),
        ({"online_retail_sales": "10.005"}, "online_retail_sales", "wrong_type"),  # beyond fen
        (
            {"online_retail_sales": ReportedFigure("10", unit="count")},
            "online_retail_sales",
            "wrong_unit",
        ),
        ({"workers": -1}, "workers", "out_of_bounds"),
        (
            {"physical_goods_online_retail_sales": "1000000.01"},
            "physical_goods_online_retail_sales",
            "cross_check",
        ),
    ],
)
def test_each_error_names_its_field(
    guizhou: Programme, change: dict[str, Any], field: str, code: str
) -> None:
    check = check_report(guizhou.report_template("enterprise"), {**_valid(), **change})
    assert [(e.field, e.code) for e in check.errors] == [(field, code)]
    assert not check.ready_to_submit
    # Said in both languages where the rule refuses: a problem answers wholly in one of them.
    (error,) = check.errors
    assert wholly_chinese(error.text.zh), error.text.zh
    assert wholly_english(error.text.en), error.text.en
    assert error.message == error.text.en


def test_percent_bounds_and_units_as_sent(guizhou: Programme) -> None:
    park = guizhou.report_template("park")
    base = {
        "online_retail_sales": "1",
        "workers": 1,
        "floor_area": "12000.5",
        "resident_enterprises": 30,
    }
    ok = check_report(park, {**base, "occupancy_rate": ReportedFigure("85.5", unit="percent")})
    assert ok.errors == ()
    too_high = check_report(park, {**base, "occupancy_rate": "100.01"})
    assert [(e.field, e.code) for e in too_high.errors] == [("occupancy_rate", "out_of_bounds")]


def test_agricultural_not_above_rural_where_the_template_says_so() -> None:
    template = ReportTemplate.model_validate(
        {
            "category": "base",
            "name": "基地",
            "defaults": True,
            "indicators": [
                {
                    "id": "rural",
                    "name_zh": "农村网络零售额",
                    "name_en": "rural",
                    "unit": "cny",
                    "type": "decimal",
                },
                {
                    "id": "agricultural",
                    "name_zh": "农产品网络零售额",
                    "name_en": "agri",
                    "unit": "cny",
                    "type": "decimal",
                },
            ],
            "checks": [{"field": "agricultural", "limit": "rural"}],
            "source_ref": REF,
        }
    )
    check = check_report(template, {"rural": "100", "agricultural": "100.01"})
    assert [(e.field, e.code) for e in check.errors] == [("agricultural", "cross_check")]
    assert check_report(template, {"rural": "100", "agricultural": "100"}).errors == ()
    assert check_report(template, {"agricultural": "100"}).errors == ()  # nothing to compare with


def test_a_large_change_warns_and_needs_an_explanation(guizhou: Programme) -> None:
    template = guizhou.report_template("enterprise")  # change_warning_percent: 50
    last_year = {"online_retail_sales": Decimal("600000.00"), "workers": 25}
    check = check_report(template, _valid(), last_accepted=last_year)  # +66.7 %
    assert check.errors == ()
    assert [(w.field, w.code) for w in check.warnings] == [("online_retail_sales", "large_change")]
    assert "+66.7 %" in check.warnings[0].message
    assert not check.ready_to_submit
    assert [u.field for u in check.unexplained] == ["online_retail_sales"]
    for finding in (*check.warnings, *check.unexplained):
        assert wholly_chinese(finding.text.zh), finding.text.zh
        assert wholly_english(finding.text.en), finding.text.en
    assert "+66.7%" in check.warnings[0].text.zh
    explained = check_report(
        template,
        _valid(),
        last_accepted=last_year,
        explanations={"online_retail_sales": "新开天猫旗舰店"},
    )
    assert explained.ready_to_submit and explained.warnings


@pytest.mark.parametrize(
    ("before", "after", "warns"),
    [
        ("1000.00", "1500.00", False),  # exactly 50 %: not over
        ("1000.00", "1500.01", True),
        ("1000.00", "499.99", True),  # a fall counts too
        ("0", "1", True),
        ("0", "0", False),
    ],
)
def test_change_threshold(guizhou: Programme, before: str, after: str, warns: bool) -> None:
    check = check_report(
        guizhou.report_template("enterprise"),
        {"online_retail_sales": after, "workers": 1},
        last_accepted={"online_retail_sales": Decimal(before)},
    )
    assert bool(check.warnings) is warns


# The traffic subsidy (004_9c19d9a85d8c1f73.txt 四(二)3: "对当年实现商品网络零售额在亿元以上的上规入统
# 的电商企业(不含跨境电商)，每实现1万元最高给予5元流量补贴") is computed from the report's
# 实物商品网络零售额 (its basis_indicator). The template leaves that figure optional, so an
# enterprise with 2亿 of online retail that left it blank was found "not eligible" in silence.
TWO_HUNDRED_MILLION = {"online_retail_sales": "200000000.00", "workers": 80}


def test_an_enterprise_must_give_the_figure_its_traffic_subsidy_is_computed_from(
    guizhou: Programme,
) -> None:
    assert (
        guizhou.report_template("enterprise")
        .indicator("physical_goods_online_retail_sales")
        .required
        is False
    )  # optional in the template itself
    assert guizhou.reward_figures.missing.value == "refuse"  # the default
    check = check_reporters_report(
        guizhou, TWO_HUNDRED_MILLION, category="enterprise", entity_type="enterprise"
    )
    (error,) = check.errors
    assert (error.field, error.code) == ("physical_goods_online_retail_sales", REQUIRED_FOR_REWARD)
    assert "traffic-subsidy" in error.text.en and "流量补贴" in error.text.zh
    assert wholly_chinese(error.text.zh) and wholly_english(error.text.en)
    assert not check.ready_to_submit
    given = check_reporters_report(
        guizhou,
        {**TWO_HUNDRED_MILLION, "physical_goods_online_retail_sales": "0"},
        category="enterprise",
        entity_type="enterprise",
    )
    assert given.errors == () and given.ready_to_submit  # zero is a figure


def test_reporters_the_subsidy_does_not_apply_to_may_leave_it_out(guizhou: Programme) -> None:
    """A park, base or team is not an e-commerce enterprise (电商企业): no subsidy, no figure
    required. The sales milestones read 网络零售额, which every template requires already."""
    park = {**TWO_HUNDRED_MILLION, "floor_area": "20000", "resident_enterprises": 40}
    check = check_reporters_report(guizhou, park, category="park", entity_type="park")
    assert check.errors == ()
    figures = guizhou.reward_figures_for(category="team", entity_type="team")
    assert set(figures) == {"online_retail_sales"}
    assert {r.id for r in figures["online_retail_sales"]} == {"sales-5-billion", "sales-1-billion"}
    enterprise = guizhou.reward_figures_for(category="enterprise", entity_type="enterprise")
    assert [r.id for r in enterprise["physical_goods_online_retail_sales"]] == ["traffic-subsidy"]


def test_a_programme_may_take_the_report_with_a_warning_instead(guizhou: Programme) -> None:
    data = guizhou.model_dump(mode="json")
    data["reward_figures"] = {"missing": "warn", "note": "上报时可暂缺，核算前补报"}
    warning_programme = Programme.model_validate(data)
    check = check_reporters_report(
        warning_programme, TWO_HUNDRED_MILLION, category="enterprise", entity_type="enterprise"
    )
    assert check.errors == () and check.ready_to_submit  # no explanation needed
    (warning,) = check.warnings
    assert (warning.field, warning.code) == (
        "physical_goods_online_retail_sales",
        MISSING_REWARD_FIGURE,
    )
    assert "traffic-subsidy" in warning.message
