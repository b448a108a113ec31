"""The statistics report's charts as a PDF (one chart a page) or one PNG, for people who would
rather look than read (docs/statistics.md): the chart indicator by city, and its year-on-year growth by
month. Pure but for the font lookup: takes the sums, returns bytes.

Labels are Chinese (region names, the indicator's Chinese name) when a CJK font is installed
(the image and the local stack install ``fonts-wqy-microhei``); without one matplotlib would
draw Chinese as empty boxes, so the labels fall back to English names and region codes, with a
warning. Matplotlib's object API (``Figure``), not pyplot, and the font named on every text
rather than in the global rcParams, so renders on worker threads share no global state.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Literal

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

from shared.programmes import StatisticsIndicator
from submissions.domain.statistics.published import MonthPoint
from submissions.rendering.region_names import region_name

log = logging.getLogger(__name__)

Format = Literal["pdf", "png"]
UNITS = {"cny": "CNY", "count": "count", "persons": "persons", "percent": "%"}
UNITS_ZH = {"cny": "亿元", "count": "个", "persons": "人", "percent": "%"}
# Families of Debian's CJK font packages, smallest first (fonts-wqy-microhei, fonts-noto-cjk).
CJK_FAMILIES = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK JP")
_lookup = threading.Lock()


@cache
def find_cjk_font() -> str | None:
    """The family of an installed font that covers Chinese, or None. Matplotlib's font cache
    may predate the font's installation, so the system's font files are looked at too (and a
    match is added to the font manager)."""
    with _lookup:
        known = {entry.name for entry in font_manager.fontManager.ttflist}
        for family in CJK_FAMILIES:
            if family in known:
                return family
        for path in font_manager.findSystemFonts():
            try:
                font = FT2Font(path)
            except (OSError, RuntimeError):
                continue
            if font.family_name in CJK_FAMILIES and font.get_char_index(ord("省")):
                font_manager.fontManager.addfont(path)
                return str(font.family_name)
    return None


@dataclass(frozen=True)
class ChartText:
    font: str | None
    title: str
    by_city_title: str
    by_city_unit: str
    city_labels: list[str]
    growth_title: str
    no_figures: str
    no_growth: str


def chart_text(
    indicator: StatisticsIndicator,
    cities: Sequence[tuple[str, Decimal]],
    *,
    title: str,
    title_zh: str,
    font: str | None,
) -> ChartText:
    """The chart's words: Chinese with a CJK font, English and region codes without."""
    unit = indicator.unit.value
    if font is not None:
        return ChartText(
            font=font,
            title=title_zh,
            by_city_title=f"各市州{indicator.name_zh}",
            by_city_unit=UNITS_ZH.get(unit, unit),
            city_labels=[region_name(code) or code for code, _ in cities],
            growth_title=f"{indicator.name_zh}同比增长（按月）",
            no_figures="暂无数据",
            no_growth="暂无同比数据",
        )
    log.warning("no CJK font installed: the statistics charts are labelled in English")
    english = UNITS.get(unit, unit)
    return ChartText(
        font=None,
        title=title,
        by_city_title=f"{indicator.name_en} by city",
        by_city_unit=f"100 million {english}" if english == "CNY" else english,
        city_labels=[code for code, _ in cities],
        growth_title=f"{indicator.name_en}: year-on-year growth by month",
        no_figures="no figures",
        no_growth="no growth yet",
    )


def _by_city(
    axes: Axes,
    indicator: StatisticsIndicator,
    cities: Sequence[tuple[str, Decimal]],
    text: ChartText,
    font: FontProperties | None,
) -> None:
    scale = Decimal(10) ** 8 if indicator.unit.value == "cny" else Decimal(1)
    axes.bar(text.city_labels, [float(value / scale) for _, value in cities])
    axes.set_title(text.by_city_title, fontproperties=font)
    axes.set_ylabel(text.by_city_unit, fontproperties=font)
    axes.tick_params(axis="x", labelrotation=45)
    for label in axes.get_xticklabels():
        if font is not None:
            label.set_fontproperties(font)
    if not cities:
        _no_data(axes, text.no_figures, font)


def _no_data(axes: Axes, message: str, font: FontProperties | None) -> None:
    """What an empty chart shows instead of its figures, centred."""
    axes.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        transform=axes.transAxes,
        fontproperties=font,
    )


def _growth(
    axes: Axes, months: Sequence[MonthPoint], text: ChartText, font: FontProperties | None
) -> None:
    shown = [(p.period, float(p.year_on_year)) for p in months if p.year_on_year is not None]
    axes.plot([p for p, _ in shown], [g for _, g in shown], marker="o")
    axes.axhline(0, color="grey", linewidth=0.8)
    axes.set_title(text.growth_title, fontproperties=font)
    axes.set_ylabel("%")
    if not shown:
        _no_data(axes, text.no_growth, font)


def statistics_charts(
    *,
    title: str,
    title_zh: str,
    indicator: StatisticsIndicator,
    cities: Sequence[tuple[str, Decimal]],
    months: Sequence[MonthPoint],
    format: Format,
    font_finder: Callable[[], str | None] = find_cjk_font,
) -> bytes:
    """``cities``: (city code, value) of the chart indicator, in order; ``title`` is used when
    no CJK font is found, ``title_zh`` when one is."""
    text = chart_text(indicator, cities, title=title, title_zh=title_zh, font=font_finder())
    font = FontProperties(family=text.font) if text.font else None
    buffer = io.BytesIO()
    if format == "png":
        figure = Figure(figsize=(14, 6), layout="constrained")
        figure.suptitle(text.title, fontproperties=font)
        left, right = figure.subplots(1, 2)
        _by_city(left, indicator, cities, text, font)
        _growth(right, months, text, font)
        figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()
    # No creation date: the same figures give the same file.
    with PdfPages(buffer, metadata={"Title": text.title, "CreationDate": None}) as pdf:
        for draw in (
            lambda axes: _by_city(axes, indicator, cities, text, font),
            lambda axes: _growth(axes, months, text, font),
        ):
            figure = Figure(figsize=(11.69, 8.27), layout="constrained")  # A4 landscape
            figure.suptitle(text.title, fontproperties=font)
            draw(figure.subplots())
            pdf.savefig(figure)
    return buffer.getvalue()
