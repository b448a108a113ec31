"""Checking a report against its template: errors name the field; large changes warn."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shared.programmes import Programme, ReportTemplate
from submissions.domain.validation import ReportedFigure, check_report
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
