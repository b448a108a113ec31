"""The statistics report (统计报告, 000 三(三) 定期发布电商经济统计报告) of a period: the XLSX with
the 汇总表 per level and native charts, and the same charts as a PDF or PNG; rows and bars the
caller may see (docs/statistics.md)."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from shared.auth import CurrentPrincipal
from shared.auth.scope import may_see_region
from shared.http.problems import not_found
from shared.i18n import t
from shared.programmes import Programme, StatisticsIndicator
from submissions.api.deps import Ctx, Pool
from submissions.api.routes.statistics import statistics_problem
from submissions.domain.errors import Refused
from submissions.domain.statistics.aggregation import Aggregate, aggregate, growth
from submissions.domain.statistics.periods import PERIOD_NAMES, PeriodKey
from submissions.domain.statistics.published import MonthPoint
from submissions.handlers.statistics import period_of
from submissions.handlers.statistics_publication import figures_in_force
from submissions.rendering.charts import Format, statistics_charts
from submissions.rendering.workbook import statistics_workbook

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROGRAMME = Query(min_length=1, max_length=100)
PERIOD = Query(min_length=4, max_length=7, description="2025-01, 2025-Q1 or 2025")
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No programme with statistics of that id"}
}


@dataclass(frozen=True)
class ReportData:
    programme: Programme
    period: PeriodKey
    indicators: list[StatisticsIndicator]
    sums: dict[str, Aggregate]  # indicator id → the sums the caller may see
    chart: StatisticsIndicator  # online retail where the programme collects it
    months: list[MonthPoint]  # the year's periods up to this one, with year-on-year growth


async def _report_data(
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    programme_id: str = PROGRAMME,
    period: str = PERIOD,
) -> ReportData:
    """The requested period's report as the caller may see it: what every format is drawn from."""
    programme = context.programmes.get(programme_id)
    if programme is None or programme.statistics is None:
        raise not_found(t("含统计指标的规划", "programme with statistics"), programme_id)
    statistics = programme.statistics
    try:
        key = period_of(period)
    except Refused as exc:
        raise statistics_problem(exc) from exc
    indicators = [i for i in statistics.indicators if i.period is key.kind]
    if not indicators:
        raise statistics_problem(
            Refused(
                "invalid_period",
                t(
                    f"没有按{PERIOD_NAMES[key.kind.value]}统计的指标",
                    f"no {key.kind.value} indicators",
                ),
                field="period",
            )
        )
    chart = next((i for i in indicators if i.id == "online_retail_sales"), indicators[0])
    months = [PeriodKey(key.kind, key.year, index) for index in range(1, key.index + 1)]
    wanted = {str(p) for p in months} | {str(p.a_year_earlier()) for p in months}
    async with pool.acquire() as connection:
        found = await figures_in_force(
            connection,
            programme_id=programme.id,
            indicators=[i.id for i in indicators],
            periods=sorted(wanted),
            root=programme.jurisdiction,
        )
    root = programme.jurisdiction

    def sums_at(text: str) -> dict[str, Aggregate]:
        return {i.id: aggregate(statistics, i.id, found[text], root=root) for i in indicators}

    current = {
        indicator_id: dataclasses.replace(
            result,
            totals={c: t for c, t in result.totals.items() if may_see_region(principal, c)},
        )
        for indicator_id, result in sums_at(str(key)).items()
    }
    points = []
    for month in months:
        now = sums_at(str(month))[chart.id].totals.get(root)
        before = sums_at(str(month.a_year_earlier()))[chart.id].totals.get(root)
        value = now.value if now and may_see_region(principal, root) else None
        points.append(
            MonthPoint(str(month), value, growth(value, before.value if before else None))
        )
    return ReportData(programme, key, indicators, current, chart, points)


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
