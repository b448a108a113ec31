"""The statistics report (统计报告) as XLSX: the 汇总表 per level with Chinese headers, and native
Excel charts (online retail by city; growth by month), so the numbers stay live in Excel.

000_97a6efa9592fa78d.txt 三(三): 定期发布电商经济统计报告. Pure: takes the sums, returns bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.worksheet.worksheet import Worksheet

from shared.programmes import StatisticsIndicator
from submissions.domain.statistics.aggregation import Aggregate
from submissions.domain.statistics.published import MonthPoint

UNITS = {"cny": "元", "count": "个", "persons": "人", "percent": "%", "square_metres": "平方米"}
LEVELS = (("省级", "province"), ("市州", "city"), ("区县", "county"))


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def statistics_workbook(
    *,
    title: str,
    indicators: Sequence[StatisticsIndicator],
    sums: Mapping[str, Aggregate],
    chart_indicator: StatisticsIndicator | None,
    months: Sequence[MonthPoint],
) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    codes = sorted({code for aggregate in sums.values() for code in aggregate.totals})
    sheets: dict[str, Worksheet] = {}
    for sheet_title, level in LEVELS:
        sheet = workbook.create_sheet(sheet_title)
        sheets[level] = sheet
        sheet.append([f"{title} 汇总表"])
        headers = ["地区代码", *(f"{i.name_zh}（{UNITS[i.unit.value]}）" for i in indicators)]
        sheet.append([*headers, "含未审定数据"])
        for code in (c for c in codes if _level(c) == level):
            totals = [sums[i.id].totals.get(code) for i in indicators]
            cell_values: list[object] = [code]
            cell_values += [t.value if t is not None else None for t in totals]
            cell_values.append(
                "是" if any(t is not None and t.provisional for t in totals) else "否"
            )
            sheet.append(cell_values)
            sheet.cell(row=sheet.max_row, column=1).data_type = "s"  # a code keeps its zeros
    if chart_indicator is not None and chart_indicator in indicators:
        _charts(
            workbook, sheets["city"], indicators.index(chart_indicator) + 2, chart_indicator, months
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _charts(
    workbook: Workbook,
    cities: Worksheet,
    column: int,
    indicator: StatisticsIndicator,
    months: Sequence[MonthPoint],
) -> None:
    charts = workbook.create_sheet("图表")
    if cities.max_row > 2:
        bar = BarChart()
        bar.title = f"各市州{indicator.name_zh}"
        bar.y_axis.title = UNITS[indicator.unit.value]
        data = Reference(cities, min_col=column, min_row=2, max_row=cities.max_row)
        bar.add_data(data, titles_from_data=True)
        bar.set_categories(Reference(cities, min_col=1, min_row=3, max_row=cities.max_row))
        charts.add_chart(bar, "A1")
    monthly = workbook.create_sheet("月度")
    monthly.append(
        ["月份", f"{indicator.name_zh}（{UNITS[indicator.unit.value]}）", "同比增长（%）"]
    )
    for point in months:
        monthly.append([point.period, point.value, point.year_on_year])
    if months:
        line = LineChart()
        line.title = f"{indicator.name_zh}同比增长（按月）"
        line.y_axis.title = "%"
        line.add_data(
            Reference(monthly, min_col=3, min_row=1, max_row=monthly.max_row), titles_from_data=True
        )
        line.set_categories(Reference(monthly, min_col=1, min_row=2, max_row=monthly.max_row))
        charts.add_chart(line, "A20")
