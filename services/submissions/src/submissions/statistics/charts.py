"""The statistics report's charts as a PDF (one chart a page) or one PNG, for people who would
rather look than read (issue 13): the chart indicator by city, and its year-on-year growth by
month. Pure: takes the sums, returns bytes.

Labels are English names and region codes: the service image carries no CJK font, and
matplotlib would draw Chinese names as empty boxes. Matplotlib's object API (``Figure``), not
pyplot, so renders on worker threads share no global state.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from shared.programmes import StatisticsIndicator
from submissions.statistics.workbook import MonthPoint

Format = Literal["pdf", "png"]
UNITS = {"cny": "CNY", "count": "count", "persons": "persons", "percent": "%"}


def _by_city(axes: Axes, indicator: StatisticsIndicator, cities: Sequence[tuple[str, Decimal]]):
    unit = UNITS.get(indicator.unit.value, indicator.unit.value)
    scale, label = (Decimal(10) ** 8, f"100 million {unit}") if unit == "CNY" else (1, unit)
    axes.bar([code for code, _ in cities], [float(value / scale) for _, value in cities])
    axes.set_title(f"{indicator.name_en} by city")
    axes.set_ylabel(label)
    axes.tick_params(axis="x", labelrotation=45)
    if not cities:
        axes.text(0.5, 0.5, "no figures", ha="center", va="center", transform=axes.transAxes)


def _growth(axes: Axes, indicator: StatisticsIndicator, months: Sequence[MonthPoint]) -> None:
    shown = [(p.period, float(p.year_on_year)) for p in months if p.year_on_year is not None]
    axes.plot([p for p, _ in shown], [g for _, g in shown], marker="o")
    axes.axhline(0, color="grey", linewidth=0.8)
    axes.set_title(f"{indicator.name_en}: year-on-year growth by month")
    axes.set_ylabel("%")
    if not shown:
        axes.text(0.5, 0.5, "no growth yet", ha="center", va="center", transform=axes.transAxes)


def statistics_charts(
    *,
    title: str,
    indicator: StatisticsIndicator,
    cities: Sequence[tuple[str, Decimal]],
    months: Sequence[MonthPoint],
    format: Format,
) -> bytes:
    """``cities``: (city code, value) of the chart indicator, in order."""
    buffer = io.BytesIO()
    if format == "png":
        figure = Figure(figsize=(14, 6), layout="constrained")
        figure.suptitle(title)
        left, right = figure.subplots(1, 2)
        _by_city(left, indicator, cities)
        _growth(right, indicator, months)
        figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()
    # No creation date: the same figures give the same file.
    with PdfPages(buffer, metadata={"Title": title, "CreationDate": None}) as pdf:
        for draw in (
            lambda axes: _by_city(axes, indicator, cities),
            lambda axes: _growth(axes, indicator, months),
        ):
            figure = Figure(figsize=(11.69, 8.27), layout="constrained")  # A4 landscape
            figure.suptitle(title)
            draw(figure.subplots())
            pdf.savefig(figure)
    return buffer.getvalue()
