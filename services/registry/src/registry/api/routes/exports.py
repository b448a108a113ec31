"""``/v1/exports/{kind}.{csv|xlsx}``: any list, with the list's filters and the caller's
visibility, as a file with Chinese column headers.

CSV is streamed row by row from a server-side cursor (UTF-8 with a BOM, so Excel opens it in
Chinese), a text that a spreadsheet would read as a formula written as text
(``shared.csv_cells``, as the audit CSV does); XLSX is written row by row to a temporary file (openpyxl's write-only mode), so
neither holds the whole list in memory.

Errors: the query runs and its first rows are fetched before the response starts
(``registry.handlers.exports``), so a filter the database refuses is a problem document (422),
not a dropped connection. Once a CSV stream has started its status cannot change: a failure
then is logged and the file ends with the row ``INTERRUPTED``, so a reader sees that it is
incomplete.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from openpyxl import Workbook
from starlette.background import BackgroundTask

from registry.api.deps import Ctx
from registry.api.list_filters import filter_parameters
from registry.api.routes.records import to_public
from registry.api.schemas import RECORD_SCHEMAS
from registry.bulk.export import XLSX_MAX_ROWS, columns_of, export_row, headers, xlsx_row
from registry.domain.entities.definitions import ALL_SPECS
from registry.handlers.common import Row
from registry.handlers.exports import FETCH_ROWS, Cell, start_export
from registry.handlers.listing import ListRequest
from shared.auth import CurrentPrincipal
from shared.china_time import CHINA
from shared.csv_cells import csv_cell
from shared.http import catalogue
from shared.http.problems import ProblemError, not_found
from shared.i18n import t

router = APIRouter(prefix="/v1/exports", tags=["exports"])

SPECS = {spec.path: spec for spec in ALL_SPECS}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}
INTERRUPTED = "导出中断，文件不完整 (export interrupted: this file is incomplete)"

log = logging.getLogger(__name__)


async def _csv(rows: AsyncIterator[list[Any]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    count = 0
    try:
        async for row in rows:
            writer.writerow([csv_cell(value) for value in row])  # a name never runs as a formula
            count += 1
            if count % FETCH_ROWS == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    except Exception:  # whatever failed, the file must say it is incomplete
        # The 200 and the first rows are gone: say in the file that it is incomplete, and end
        # the response properly rather than drop the connection.
        log.exception("export interrupted after %d rows", max(count - 1, 0))
        writer.writerow([INTERRUPTED])
    yield buffer.getvalue().encode("utf-8")


async def _xlsx(rows: AsyncIterator[list[Any]], title: str) -> str:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    count = 0
    async for row in rows:
        count += 1
        if count > XLSX_MAX_ROWS + 1:
            raise ProblemError(
                catalogue.TOO_MANY_ROWS,
                t(
                    f"XLSX 工作表最多 {XLSX_MAX_ROWS} 行；请缩小筛选范围或导出 CSV",
                    f"an XLSX sheet holds {XLSX_MAX_ROWS} rows; narrow the filters or export CSV",
                ),
            )
        sheet.append(xlsx_row(sheet, row))
    handle, path = tempfile.mkstemp(prefix="registry-export-", suffix=".xlsx")
    os.close(handle)
    await asyncio.to_thread(workbook.save, path)
    return path


@router.get(
    "/{file_name}",
    summary="Export a filtered list as CSV or XLSX (stores.csv, enterprises.xlsx, …)",
    description="The same filters as the list (region, status, q, and the record type's "
    "own); the caller sees what its list would show.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, XLSX_TYPE: {}}}},
    openapi_extra={"parameters": filter_parameters(ALL_SPECS)},
)
async def export(
    file_name: str,
    request: Request,
    principal: CurrentPrincipal,
    context: Ctx,
    region: str | None = Query(default=None, pattern=r"^\d{6}$"),
    record_status: str | None = Query(default=None, alias="status", pattern="^(active|closed)$"),
    q: str | None = Query(default=None, min_length=1, max_length=100),
) -> Any:
    kind, _, file_format = file_name.partition(".")
    spec = SPECS.get(kind)
    if spec is None or file_format not in FORMATS:
        raise not_found(
            t("导出文件", "export"),
            f"{file_name} (one of {', '.join(SPECS)} with .csv or .xlsx)",
        )
    columns = columns_of(RECORD_SCHEMAS[spec.name].public)
    regions = context.regions

    def namer(code: str) -> str:
        return regions.get(code).name if code in regions else ""

    def render(row: Row, credit_codes: Mapping[uuid.UUID, str]) -> list[Cell]:
        return export_row(to_public(spec, row, principal), columns, namer, credit_codes)

    started = await start_export(
        context,
        spec,
        principal,
        ListRequest(region, record_status, q, request.query_params),
        file_format=file_format,
        header=headers(columns, spec.path),
        render=render,
    )
    rows = started.rows
    stamp = dt.datetime.now(CHINA).strftime("%Y%m%d-%H%M")
    disposition = f'attachment; filename="{kind}-{stamp}.{file_format}"'
    if file_format == "csv":
        return StreamingResponse(
            _csv(rows),
            media_type=FORMATS["csv"],
            headers={"Content-Disposition": disposition},
            # Runs even when the client leaves early: the cursor's connection goes back.
            background=BackgroundTask(started.close),
        )
    try:
        path = await _xlsx(rows, spec.label_zh)
    finally:
        await started.close()  # at once, even when the sheet overflows
    return FileResponse(
        path,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": disposition},
        background=BackgroundTask(os.unlink, path),
    )
