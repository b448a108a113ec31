"""The statistics report (统计报告, 000 三(三) 定期发布电商经济统计报告) of a period: the XLSX with
the 汇总表 per level and native charts, and the same charts as a PDF or PNG; rows and bars the
caller may see (docs/statistics.md)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from shared.auth import CurrentPrincipal
from shared.auth.scope import may_see_region
from submissions.api.deps import Ctx, Pool
from submissions.api.routes.statistics import HANDLED, statistics_problem
from submissions.handlers.statistics_reports import ReportData, statistics_report
from submissions.rendering.charts import Format, statistics_charts
from submissions.rendering.workbook import statistics_workbook

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRAMME = Query(min_length=1, max_length=100)
PERIOD = Query(min_length=4, max_length=7, description="2025-01, 2025-Q1 or 2025")
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No programme with statistics of that id"}
}


async def _report_data(
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    programme_id: str = PROGRAMME,
    period: str = PERIOD,
) -> ReportData:
    """The requested period's report as the caller may see it: what every format is drawn from."""
    try:
        return await statistics_report(
            pool,
            context,
            programme_id,
            period,
            may_see=lambda code: may_see_region(principal, code),
        )
    except HANDLED as exc:
        raise statistics_problem(exc) from exc


RequestedReport = Annotated[ReportData, Depends(_report_data)]


@router.get(
    "/report.xlsx",
    summary="The 统计报告: 汇总表 per level (Chinese headers) and native charts (online retail "
    "by city, growth by month); rows the caller may see",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {}}}, **NOT_FOUND},
)
async def report_xlsx(data: RequestedReport) -> Response:
    content = await asyncio.to_thread(
        statistics_workbook,
        title=f"{data.programme.name} {data.period}",
        indicators=data.indicators,
        sums=data.sums,
        chart_indicator=data.chart,
        months=data.months,
    )
    name = f"statistics-{data.programme.id}-{data.period}.xlsx"
    return Response(
        content,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _charts(data: ReportData, format: Format) -> Response:
    totals = data.sums[data.chart.id].totals
    cities = [
        (code, total.value)
        for code, total in sorted(totals.items())
        if code.endswith("00") and not code.endswith("0000") and total.value is not None
    ]
    content = await asyncio.to_thread(
        statistics_charts,
        title=f"{data.programme.id} {data.period}",
        title_zh=f"{data.programme.name} {data.period} 统计报告",
        indicator=data.chart,
        cities=[(code, Decimal(value)) for code, value in cities],
        months=data.months,
        format=format,
    )
    name = f"statistics-{data.programme.id}-{data.period}.{format}"
    return Response(
        content,
        media_type="application/pdf" if format == "pdf" else "image/png",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@router.get(
    "/report.pdf",
    summary="The 统计报告's charts as a PDF (online retail by city; its year-on-year growth by "
    "month), one a page; bars the caller may see",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **NOT_FOUND},
)
async def report_pdf(data: RequestedReport) -> Response:
    return await _charts(data, "pdf")


@router.get(
    "/report.png",
    summary="The 统计报告's charts as one PNG (online retail by city; its year-on-year growth "
    "by month); bars the caller may see",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}, **NOT_FOUND},
)
async def report_png(data: RequestedReport) -> Response:
    return await _charts(data, "png")
