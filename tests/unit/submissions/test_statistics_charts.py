"""The statistics charts label in Chinese (region and indicator names) when a CJK font is
installed, and fall back to English labels and region codes with a warning when none is (a
machine without the font still draws a readable chart); with the font present, the PDF embeds
it."""

from __future__ import annotations

import csv
import logging
from decimal import Decimal
from pathlib import Path

import pytest

from shared.programmes.statistics import StatisticsIndicator
from submissions.domain.statistics.published import MonthPoint
from submissions.rendering.charts import chart_text, find_cjk_font, statistics_charts
from submissions.rendering.region_names import region_name

RETAIL = StatisticsIndicator.model_validate(
    {
        "id": "online_retail_sales",
        "name_zh": "网络零售额",
        "name_en": "online retail sales",
        "unit": "cny",
    }
)
CITIES = [("520100", Decimal("123000000")), ("520300", Decimal("45000000"))]
MONTHS = [MonthPoint("2025-01", Decimal("1"), Decimal("12.5"))]


def test_with_a_cjk_font_the_labels_are_chinese_names() -> None:
    text = chart_text(
        RETAIL, CITIES, title="p 2025-01", title_zh="贵州 2025-01", font="WenQuanYi Micro Hei"
    )
    assert text.font == "WenQuanYi Micro Hei"
    assert text.title == "贵州 2025-01"
    assert text.city_labels == ["贵阳市", "遵义市"]
    assert "网络零售额" in text.by_city_title and "网络零售额" in text.growth_title
    assert text.by_city_unit == "亿元"


def test_without_a_cjk_font_the_labels_fall_back_to_english_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="submissions.rendering.charts"):
        text = chart_text(RETAIL, CITIES, title="p 2025-01", title_zh="贵州 2025-01", font=None)
    assert text.font is None and text.title == "p 2025-01"
    assert text.city_labels == ["520100", "520300"]
    assert text.by_city_title == "online retail sales by city"
    assert text.by_city_unit == "100 million CNY"
    assert any("CJK font" in record.getMessage() for record in caplog.records)


def test_the_rendering_follows_the_injected_font_finder(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="submissions.rendering.charts"):
        pdf = statistics_charts(
            title="p 2025-01",
            title_zh="贵州 2025-01",
            indicator=RETAIL,
            cities=CITIES,
            months=MONTHS,
            format="pdf",
            font_finder=lambda: None,
        )
    assert pdf.startswith(b"%PDF") and b"WenQuanYi" not in pdf
    assert any("CJK font" in record.getMessage() for record in caplog.records)


def test_region_names_are_the_registry_s_shipped_names() -> None:
    shipped = Path("services/registry/src/registry/data/regions/regions.csv")
    lines = [x for x in shipped.read_text(encoding="utf-8").splitlines() if not x.startswith("#")]
    current = {r["code"]: r["name"] for r in csv.DictReader(lines) if not r["valid_to"]}
    for code, name in current.items():
        assert region_name(code) == name, code
    assert region_name("999900") is None


def test_with_the_font_installed_the_pdf_embeds_it_and_the_png_renders() -> None:
    font = find_cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (fonts-wqy-microhei or fonts-noto-cjk)")
    kwargs = {"title": "p", "title_zh": "贵州省 2025-01", "indicator": RETAIL, "cities": CITIES}
    pdf = statistics_charts(**kwargs, months=MONTHS, format="pdf")  # type: ignore[arg-type]
    assert font.replace(" ", "").encode() in pdf
    png = statistics_charts(**kwargs, months=MONTHS, format="png")  # type: ignore[arg-type]
    assert png.startswith(b"\x89PNG")
