"""``/v1/exports/{kind}.{csv|xlsx}``: any list, with the list's filters and the caller's
visibility, as a file with Chinese column headers.

CSV is streamed row by row from a server-side cursor (UTF-8 with a BOM, so Excel opens it in
Chinese); XLSX is written row by row to a temporary file (openpyxl's write-only mode), so
neither holds the whole list in memory.

Errors: the query runs and its first rows are fetched before the response starts, so a filter
the database refuses is a problem document (422), not a dropped connection. Once a CSV stream
has started its status cannot change: a failure then is logged and the file ends with the row
``INTERRUPTED``, so a reader sees that it is incomplete.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import logging
import os
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from openpyxl import Workbook
from starlette.background import BackgroundTask

from registry.api.deps import Pool, Regions
from registry.api.list_filters import filter_parameters, filtered_query
from registry.api.routes.records import to_public
from registry.bulk.export import XLSX_MAX_ROWS, columns_of, export_rows, headers, xlsx_row
from registry.db.entity_queries import ListQuery
from registry.domain.regions import RegionTree
from registry.entities.definitions import ALL_SPECS
from registry.entities.handlers import CHINA
from registry.entities.spec import EntitySpec
from shared import audit
from shared.auth import CurrentPrincipal, Principal
from shared.http import catalogue
from shared.http.problems import ProblemError, not_found
from shared.i18n import t

router = APIRouter(prefix="/v1/exports", tags=["exports"])

SPECS = {spec.path: spec for spec in ALL_SPECS}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}
ALL_ROWS = 100_000_000
FETCH_ROWS = 2_000
INTERRUPTED = "导出中断，文件不完整 (export interrupted: this file is incomplete)"

log = logging.getLogger(__name__)


async def _rows(
    pool: asyncpg.Pool,
    spec: EntitySpec,
    query: ListQuery,
    principal: Principal,
    regions: RegionTree,
) -> AsyncGenerator[list[Any], None]:
    columns = columns_of(spec.public_schema)

    def namer(code: str) -> str:
        return regions.get(code).name if code in regions else ""

    def to_record(row: asyncpg.Record) -> Any:
        return to_public(spec, row, principal)

    async with pool.acquire() as connection, connection.transaction(readonly=True):
        statement = (query.sql(limit=ALL_ROWS), query.params)
        rows = export_rows(connection, statement, to_record, columns, namer, FETCH_ROWS)
        first = await anext(rows, None)
        yield headers(columns, spec.path)  # the first item comes once the database has answered
        if first is not None:
            yield first
            async for row in rows:
                yield row


async def _started(rows: AsyncIterator[list[Any]]) -> AsyncIterator[list[Any]]:
    """Run ``rows`` to its first item (the query has run and answered) before any response is
    sent; what the database refuses in the request's values becomes a 422."""
    try:
        first = await anext(rows)
    except asyncpg.DataError as exc:
        raise ProblemError(
            catalogue.VALIDATION_FAILED,
            t(
                "筛选值无法用于查询（数据库拒绝了该值）",
                "a filter value cannot be searched for (the database refused it)",
            ),
        ) from exc

    async def resumed() -> AsyncIterator[list[Any]]:
        yield first
        async for row in rows:
            yield row

    return resumed()


async def _csv(rows: AsyncIterator[list[Any]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    count = 0
    try:
        async for row in rows:
            writer.writerow(row)
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
    pool: Pool,
    regions: Regions,
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
    query = filtered_query(spec, request, principal, regions, region, record_status, q)
    generator = _rows(pool, spec, query, principal, regions)
    rows = await _started(generator)
    # Who exported which list with which filters, committed before a row leaves (001 (二十三)).
    await audit.record_access(
        pool,
        actor=audit.Actor.of(principal),
        action=f"{spec.name}.exported",
        resource_type=spec.name,
        details={"format": file_format, "filters": dict(request.query_params)},
    )
    stamp = dt.datetime.now(CHINA).strftime("%Y%m%d-%H%M")
    disposition = f'attachment; filename="{kind}-{stamp}.{file_format}"'
    if file_format == "csv":
        return StreamingResponse(
            _csv(rows),
            media_type=FORMATS["csv"],
            headers={"Content-Disposition": disposition},
            # Runs even when the client leaves early: the cursor's connection goes back.
            background=BackgroundTask(generator.aclose),
        )
    try:
        path = await _xlsx(rows, spec.label_zh)
    finally:
        await generator.aclose()  # at once, even when the sheet overflows
    return FileResponse(
        path,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": disposition},
        background=BackgroundTask(os.unlink, path),
    )
