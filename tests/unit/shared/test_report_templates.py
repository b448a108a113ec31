"""Report templates per demonstration category: shipped Guizhou defaults and rejected files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared.programmes import (
    IndicatorType,
    Programme,
    ReportTemplate,
    Unit,
    load_programmes,
)

ROOT = Path(__file__).resolve().parents[3]
GUIZHOU = "guizhou-shibaiqianwan-2023"
REF = {"file": "004_9c19d9a85d8c1f73.txt", "section": "三（三）"}


@pytest.fixture(scope="module")
def guizhou() -> Programme:
    return load_programmes(ROOT / "shared" / "programmes")[GUIZHOU]


def test_one_default_template_per_guizhou_category(guizhou: Programme) -> None:
    # 004 line 39: 指导示范园区、示范(直播)基地、示范企业、示范团队建立业务统计监测体系 — no list
    assert [t.category for t in guizhou.report_templates] == ["park", "base", "enterprise", "team"]
    assert all(t.defaults for t in guizhou.report_templates)
    park = guizhou.report_template("park")
    floor = park.indicator("floor_area")
    assert (floor.name_zh, floor.unit, floor.required) == ("建筑面积", Unit.square_metres, True)
    online = park.indicator("online_retail_sales")
    assert (online.unit, online.type, online.required) == (Unit.cny, IndicatorType.decimal, True)
    assert park.indicator("workers").unit is Unit.persons
    assert park.indicator("occupancy_rate").max == 100
    (check,) = park.checks
    assert (check.field, check.limit) == (
        "physical_goods_online_retail_sales",
        "online_retail_sales",
    )
    assert guizhou.report_template("team").indicator("team_members").required
    with pytest.raises(KeyError):
        guizhou.report_template("store")


def _template(**changes: Any) -> ReportTemplate:
    data: dict[str, Any] = {
        "category": "park",
        "name": "园区年报",
        "defaults": True,
        "indicators": [
            {
                "id": "sales",
                "name_zh": "网络零售额",
                "name_en": "sales",
                "unit": "cny",
                "type": "decimal",
            },
            {
                "id": "stores",
                "name_zh": "店铺数",
                "name_en": "stores",
                "unit": "count",
                "type": "integer",
            },
        ],
        "source_ref": REF,
    }
    data.update(changes)
    return ReportTemplate.model_validate(data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "indicators": [
                    {"id": "n", "name_zh": "数", "name_en": "n", "unit": "count", "type": "decimal"}
                ]
            },
            "whole numbers",
        ),
        (
            {
                "indicators": [
                    {
                        "id": "m",
                        "name_zh": "额",
                        "name_en": "m",
                        "unit": "cny",
                        "type": "decimal",
                        "decimal_places": 3,
                    }
                ]
            },
            "2 decimal places",
        ),
        ({"checks": [{"field": "sales", "limit": "missing"}]}, "unknown indicator 'missing'"),
        ({"checks": [{"field": "stores", "limit": "sales"}]}, "different units"),
        ({"change_warning_percent": 0}, "greater than 0"),
    ],
)
def test_inconsistent_templates_are_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _template(**changes)


def test_a_per_indicator_threshold_overrides_the_template() -> None:
    template = _template(
        indicators=[
            {
                "id": "sales",
                "name_zh": "额",
                "name_en": "s",
                "unit": "cny",
                "type": "decimal",
                "change_warning_percent": 20,
            },
            {"id": "stores", "name_zh": "数", "name_en": "n", "unit": "count", "type": "integer"},
        ]
    )
    assert (template.threshold_for("sales"), template.threshold_for("stores")) == (20, 50)
