"""``/v1/exports/{kind}.{csv|xlsx}``: any list, with the list's filters and the caller's
visibility, as a file with Chinese column headers.

CSV is streamed row by row from a server-side cursor (UTF-8 with a BOM, so Excel opens it in
Chinese); XLSX is written row by row to a temporary file (openpyxl's write-only mode), so
neither holds the whole list in memory.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from openpyxl import Workbook
from starlette.background import BackgroundTask

from registry.api.deps import Pool, Regions
from registry.api.list_filters import filtered_query
from registry.api.routes.records import to_public
from registry.bulk.export import XLSX_MAX_ROWS, columns_of, export_row, headers
from registry.db.entity_queries import ListQuery
from registry.domain.regions import RegionTree
from registry.entities.definitions import ALL_SPECS
from registry.entities.handlers import CHINA
from registry.entities.spec import EntitySpec
from shared import audit
from shared.auth import CurrentPrincipal, Principal
from shared.http.problems import ProblemError, not_found

router = APIRouter(prefix="/v1/exports", tags=["exports"])

SPECS = {spec.path: spec for spec in ALL_SPECS}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}
ALL_ROWS = 100_000_000
FETCH_ROWS = 2_000


async def _rows(
    pool: asyncpg.Pool,
    spec: EntitySpec,
    query: ListQuery,
    principal: Principal,
    regions: RegionTree,
) -> AsyncIterator[list[Any]]:
    columns = columns_of(spec.public_schema)

    def namer(code: str) -> str:
        return regions.get(code).name if code in regions else ""

    yield headers(columns)
    async with pool.acquire() as connection, connection.transaction(readonly=True):
        sql = query.sql(limit=ALL_ROWS)
        async for row in connection.cursor(sql, *query.params, prefetch=FETCH_ROWS):
            yield export_row(to_public(spec, row, principal), columns, namer)


async def _csv(rows: AsyncIterator[list[Any]]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    count = 0
    async for row in rows:
        writer.writerow(row)
        count += 1
        if count % FETCH_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


async def _xlsx(rows: AsyncIterator[list[Any]], title: str) -> str:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    count = 0
    async for row in rows:
        count += 1
        if count > XLSX_MAX_ROWS + 1:
            raise ProblemError(
                status=422,
                title="Too many rows for XLSX",
                detail=f"an XLSX sheet holds {XLSX_MAX_ROWS} rows; narrow the filters or "
                "export CSV",
            )
        sheet.append(row)
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
        raise not_found("export", f"{file_name} (one of {', '.join(SPECS)} with .csv or .xlsx)")
    query = filtered_query(spec, request, principal, regions, region, record_status, q)
    # Who exported which list with which filters, committed before a row leaves (001 (二十三)).
    await audit.record_access(
        pool,
        actor=audit.Actor.of(principal),
        action=f"{spec.name}.exported",
        resource_type=spec.name,
        details={"format": file_format, "filters": dict(request.query_params)},
    )
    rows = _rows(pool, spec, query, principal, regions)
    stamp = dt.datetime.now(CHINA).strftime("%Y%m%d-%H%M")
    disposition = f'attachment; filename="{kind}-{stamp}.{file_format}"'
    if file_format == "csv":
        return StreamingResponse(
            _csv(rows),
            media_type=FORMATS["csv"],
            headers={"Content-Disposition": disposition},
        )
    path = await _xlsx(rows, spec.label_zh)
    return FileResponse(
        path,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": disposition},
        background=BackgroundTask(os.unlink, path),
    )
