"""``/v1/windows/{window_id}/completeness`` (JSON) and ``…/completeness.xlsx`` (汇总表).

Counts per province, city and county over the roster's reporters expected at ``as_of``, so a
rate never passes 100 %; a bureau sees the rows and missing lists of its own region.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io

from fastapi import APIRouter, Query, Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from pydantic import AwareDatetime

from shared.auth import CurrentPrincipal, Principal
from shared.auth.scope import may_see_region
from shared.china_time import CHINA
from submissions.api.deps import Ctx, Now, Pool
from submissions.api.errors import HANDLED, problem_for
from submissions.api.schemas import CompletenessPublic, CompletenessRowPublic
from submissions.domain.completeness import Completeness, CompletenessRow
from submissions.handlers.common import Context
from submissions.handlers.completeness import completeness_of

router = APIRouter(prefix="/v1/windows/{window_id}", tags=["completeness"])
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [
    "地区代码",
    "应报",
    "已报",
    "按时报送",
    "逾期报送",
    "未报",
    "已通过",
    "已退回",
    "报送率(%)",
    "按时率(%)",
]
SHEETS = (("省级", "province"), ("市州", "cities"), ("区县", "counties"))
AS_OF = "The instant to count at (default now); the roster as it stood then"


def _row(row: CompletenessRow) -> CompletenessRowPublic:
    return CompletenessRowPublic(
        level=row.level.value,
        region_code=row.region_code,
        expected=row.expected,
        submitted=row.submitted,
        on_time=row.on_time,
        late=row.late,
        missing=row.missing,
        accepted=row.accepted,
        returned=row.returned,
        submitted_rate=str(row.rate(row.submitted)),
        on_time_rate=str(row.rate(row.on_time)),
    )


def scoped(principal: Principal, window_id: str, counts: Completeness) -> CompletenessPublic:
    def shown(rows: tuple[CompletenessRow, ...]) -> list[CompletenessRowPublic]:
        return [_row(r) for r in rows if may_see_region(principal, r.region_code)]

    province = counts.province
    return CompletenessPublic(
        window_id=window_id,
        as_of=counts.as_of,
        province=_row(province) if may_see_region(principal, province.region_code) else None,
        cities=shown(counts.cities),
        counties=shown(counts.counties),
        missing_by_bureau={
            code: list(ids)
            for code, ids in counts.missing_by_bureau.items()
            if may_see_region(principal, code)
        },
    )


async def _counts(
    pool: Pool, context: Context, window_id: str, principal: Principal, as_of: dt.datetime
) -> CompletenessPublic:
    try:
        counts = await completeness_of(pool, context, window_id, as_of=as_of)
    except HANDLED as exc:
        raise problem_for(exc) from exc
    return scoped(principal, window_id, counts)


@router.get(
    "/completeness",
    response_model=CompletenessPublic,
    summary="Expected, submitted, on time, late, missing, accepted, returned per level",
)
async def completeness(
    window_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    as_of: AwareDatetime | None = Query(default=None, description=AS_OF),
) -> CompletenessPublic:
    return await _counts(pool, context, window_id, principal, as_of or now)


def _text(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    """Codes and times as text cells, never formulas or numbers (a code keeps its zeros)."""
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell


def workbook_bytes(window_id: str, report: CompletenessPublic) -> bytes:
    workbook = Workbook(write_only=True)
    stamp = report.as_of.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S 北京时间")
    levels: dict[str, list[CompletenessRowPublic]] = {
        "province": [report.province] if report.province else [],
        "cities": report.cities,
        "counties": report.counties,
    }
    for title, key in SHEETS:
        sheet = workbook.create_sheet(title=title)
        sheet.append([_text(sheet, f"{window_id} 汇总表"), _text(sheet, f"截至 {stamp}")])
        sheet.append([_text(sheet, h) for h in HEADERS])
        for row in levels[key]:
            sheet.append(
                [
                    _text(sheet, row.region_code),
                    row.expected,
                    row.submitted,
                    row.on_time,
                    row.late,
                    row.missing,
                    row.accepted,
                    row.returned,
                    _text(sheet, row.submitted_rate),
                    _text(sheet, row.on_time_rate),
                ]
            )
    missing = workbook.create_sheet(title="未报名单")
    missing.append([_text(missing, "地区代码"), _text(missing, "未报单位(认定编号)")])
    for code, ids in report.missing_by_bureau.items():
        for designation_id in ids:
            missing.append([_text(missing, code), _text(missing, designation_id)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@router.get(
    "/completeness.xlsx",
    summary="The 汇总表: one sheet per level, Chinese headers, China time",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {}}}},
)
async def completeness_xlsx(
    window_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    as_of: AwareDatetime | None = Query(default=None, description=AS_OF),
) -> Response:
    report = await _counts(pool, context, window_id, principal, as_of or now)
    content = await asyncio.to_thread(workbook_bytes, window_id, report)
    name = f"{window_id}-completeness.xlsx"
    return Response(
        content,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
