"""``/v1/imports``: bulk import of enterprises, stores and park residents from CSV or XLSX.

The file is the request body (``Content-Type: text/csv`` or the XLSX type), not a multipart
form: it is streamed to a temporary file with its SHA-256 computed on the way, and refused with
413 as soon as it passes the size limit (at once when Content-Length already says so). The
file and its job are queued in the database; an importer process (``python -m registry
importer``) runs the job, and ``GET /v1/import-jobs/{id}`` shows its progress and result.
``Prefer: wait=N`` (RFC 7240) waits up to N seconds for the result before answering.

The jobs live under ``/v1/import-jobs``: under ``/v1/imports`` a job's ``{job_id}`` and an
upload's ``{kind}`` would be two templates matching the same path. Their first paths under
``/v1/imports`` still answer, for clients written against them, but are left out of the
OpenAPI document.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

from fastapi import APIRouter, Header, Query, Request, Response, status

from registry.api.deps import Ctx, Settings
from registry.api.schemas import ImportJobPublic
from registry.api.uploads import receive_upload
from registry.bulk.template import template_xlsx
from registry.domain.imports.columns import ImportKind
from registry.domain.imports.jobs import ENDED, ImportMode
from registry.handlers import imports
from registry.handlers.common import Row
from registry.handlers.imports import XLSX_TYPE
from shared.auth import CurrentPrincipal
from shared.csv_cells import csv_cell
from shared.http.headers import LOCATION, sends
from shared.http.pagination import Page

router = APIRouter(prefix="/v1/imports", tags=["imports"])
jobs_router = APIRouter(prefix="/v1/import-jobs", tags=["imports"])

MAX_WAIT_SECONDS = 60
_WAIT = re.compile(r"wait=(\d+)")


def to_public(job: Row, *, with_errors: bool = True) -> ImportJobPublic:
    values: dict[str, Any] = dict(job)
    if not with_errors:
        values["errors"] = []
    total = max(values["total_rows"], values["processed_rows"])
    values["total_rows"] = total
    values["progress"] = 1.0 if values["status"] in ENDED else (
        round(values["processed_rows"] / total, 4) if total else 0.0
    )  # fmt: skip
    return ImportJobPublic.model_validate(values)


def _wait_seconds(prefer: str | None) -> int | None:
    """``Prefer: wait=N`` (RFC 7240), at most ``MAX_WAIT_SECONDS``."""
    match = _WAIT.search(prefer or "")
    return min(int(match.group(1)), MAX_WAIT_SECONDS) if match else None


@router.post(
    "/{kind}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportJobPublic,
    summary="Import enterprises, stores or park residents from a CSV or XLSX file",
    responses={
        **sends(202, LOCATION, description="Queued: the job, at its Location"),
        **sends(
            200,
            LOCATION,
            description="Finished within Prefer: wait, or the same file's earlier run",
        ),
        413: {
            "description": "File over the size limit, or a workbook whose parts would inflate "
            "too far (a zip bomb)"
        },
        422: {"description": "Empty, or not a CSV or XLSX file (an encrypted workbook, …)"},
        415: {"description": "A multipart form instead of the file itself"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def start_import(
    kind: ImportKind,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    context: Ctx,
    settings: Settings,
    mode: ImportMode = ImportMode.dry_run,
    file_name: str | None = Query(default=None, max_length=200),
    prefer: str | None = Header(default=None),
) -> ImportJobPublic:
    started = await imports.start_import(
        context,
        principal,
        kind=kind,
        mode=mode,
        receive=lambda: receive_upload(request, settings.max_upload_bytes, file_name),
        content_type=request.headers.get("content-type", ""),
        wait_seconds=_wait_seconds(prefer),
    )
    job = started.job
    response.headers["Location"] = f"/v1/import-jobs/{job['id']}"
    if not started.created or job["status"] in ENDED:
        response.status_code = status.HTTP_200_OK
    return to_public(job)


@jobs_router.get(
    "",
    response_model=Page[ImportJobPublic],
    summary="Imports, newest first: the caller's own, and those filed in regions it administers",
    description="Lists leave each job's `errors` empty: read the job for them.",
)
async def list_imports(
    principal: CurrentPrincipal,
    context: Ctx,
    kind: ImportKind | None = None,
    cursor: str | None = None,
    limit: int = Query(default=20, ge=1, le=100),
) -> Page[ImportJobPublic]:
    page = await imports.list_jobs(context, principal, kind=kind, cursor=cursor, limit=limit)
    return Page[ImportJobPublic](
        items=[to_public(row, with_errors=False) for row in page.rows],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/{kind}/template.xlsx",
    summary="An empty import file: the headers (required ones in bold) and a sheet 说明",
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {}}}},
)
async def template(kind: ImportKind, principal: CurrentPrincipal) -> Response:
    return Response(
        content=template_xlsx(kind),
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{kind}-template.xlsx"'},
    )


@jobs_router.get(
    "/{job_id}/errors.csv",
    summary="An import's errors as a CSV to fix the file by (行号, 列, 原因)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def import_errors(job_id: uuid.UUID, principal: CurrentPrincipal, context: Ctx) -> Response:
    job = await imports.visible_job(context, principal, job_id)
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads the Chinese correctly with a BOM
    writer = csv.writer(out)
    writer.writerow(["行号", "列", "原因"])
    writer.writerows(  # a reason may quote the file's cell, which must not run as a formula
        [error["row"], csv_cell(error["column"]), csv_cell(error["reason"])]
        for error in job["errors"]
    )
    return Response(
        content=out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-errors.csv"'},
    )


@jobs_router.get(
    "/{job_id}", response_model=ImportJobPublic, summary="An import's progress and result"
)
async def read_import(
    job_id: uuid.UUID, principal: CurrentPrincipal, context: Ctx
) -> ImportJobPublic:
    return to_public(await imports.visible_job(context, principal, job_id))


for _path, _endpoint in (
    ("", list_imports),
    ("/{job_id}/errors.csv", import_errors),
    ("/{job_id}", read_import),
):
    router.add_api_route(
        _path, _endpoint, methods=["GET"], include_in_schema=False, deprecated=True
    )
