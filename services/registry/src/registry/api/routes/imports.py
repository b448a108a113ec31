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
import datetime as dt
import io
import re
import uuid
from typing import Any

import asyncpg
from fastapi import APIRouter, Header, Query, Request, Response, status

from registry.api.deps import Pool, Settings
from registry.api.schemas import ImportJobPublic
from registry.api.uploads import receive_upload
from registry.bulk.columns import ImportKind
from registry.bulk.jobs import ENDED, ImportMode, UploadedFile
from registry.bulk.queue import enqueue, wait_for_end
from registry.bulk.readers import UnreadableFile, file_format
from registry.bulk.template import template_xlsx
from registry.db import import_queries
from registry.import_audit import record_import_submitted
from shared.auth import CurrentPrincipal, Principal
from shared.auth.scope import job_region, job_scope, may_import, may_see_job
from shared.http import catalogue
from shared.http.headers import LOCATION, sends
from shared.http.pagination import Page, encode_cursor, read_cursor
from shared.http.problems import ProblemError, not_found
from shared.i18n import t

router = APIRouter(prefix="/v1/imports", tags=["imports"])
jobs_router = APIRouter(prefix="/v1/import-jobs", tags=["imports"])

MAX_WAIT_SECONDS = 60
_WAIT = re.compile(r"wait=(\d+)")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_importer(principal: Principal) -> None:
    if may_import(principal):
        return
    raise ProblemError(
        catalogue.FORBIDDEN,
        t(
            "批量导入仅限省、市、县商务主管部门（及获写入授权的对接系统）",
            "bulk imports are for the province, city and county bureaus "
            "(and integrators granted write)",
        ),
    )


def to_public(job: asyncpg.Record, *, with_errors: bool = True) -> ImportJobPublic:
    values: dict[str, Any] = dict(job)
    if not with_errors:
        values["errors"] = []
    total = max(values["total_rows"], values["processed_rows"])
    values["total_rows"] = total
    values["progress"] = 1.0 if values["status"] in ENDED else (
        round(values["processed_rows"] / total, 4) if total else 0.0
    )  # fmt: skip
    return ImportJobPublic.model_validate(values)


def _check_readable(upload: UploadedFile, content_type: str) -> None:
    """What the first bytes already tell (an encrypted workbook, a PDF, …) is refused at once;
    anything deeper wrong with the file fails the job with the reason."""
    try:
        kind = file_format(upload.path)
    except UnreadableFile as exc:
        raise ProblemError(
            catalogue.UNREADABLE_FILE, t(f"文件无法读取：{exc.reason.zh}", exc.reason.en)
        ) from exc
    if content_type.startswith(XLSX_TYPE) and kind != "xlsx":
        raise ProblemError(
            catalogue.UNREADABLE_FILE,
            t(
                "按 XLSX 发送，但不是 XLSX 工作簿：请用 Excel 或 WPS 打开后另存为 .xlsx，或以 CSV 发送",
                "sent as XLSX, but not an XLSX workbook (an XLSX file is a ZIP archive): "
                "open it in Excel or WPS and save it again as .xlsx, or send it as CSV",
            ),
        )


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
        413: {"description": "File over the size limit"},
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
    pool: Pool,
    settings: Settings,
    mode: ImportMode = ImportMode.dry_run,
    file_name: str | None = Query(default=None, max_length=200),
    prefer: str | None = Header(default=None),
) -> ImportJobPublic:
    _require_importer(principal)
    upload = await receive_upload(request, settings.max_upload_bytes, file_name)
    try:
        _check_readable(upload, request.headers.get("content-type", ""))
        job, created = await enqueue(
            pool,
            kind=kind,
            mode=mode,
            upload=upload,
            caller=principal,
            region_code=job_region(principal),
            on_created=lambda connection, job: record_import_submitted(connection, job, principal),
        )
    finally:
        upload.path.unlink(missing_ok=True)
    response.headers["Location"] = f"/v1/import-jobs/{job['id']}"
    match = _WAIT.search(prefer or "")
    if created and match:
        job = await wait_for_end(pool, job, min(int(match.group(1)), MAX_WAIT_SECONDS))
    if not created or job["status"] in ENDED:
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
    pool: Pool,
    kind: ImportKind | None = None,
    cursor: str | None = None,
    limit: int = Query(default=20, ge=1, le=100),
) -> Page[ImportJobPublic]:
    after_at, after_id = read_cursor(
        cursor, lambda p: (dt.datetime.fromisoformat(p["created_at"]), uuid.UUID(p["id"]))
    ) or (None, None)
    scope = job_scope(principal)
    rows = await pool.fetch(
        import_queries.JOBS,
        scope.owner,
        list(scope.region_prefixes),
        kind,
        after_at,
        after_id,
        limit + 1,
    )
    last = rows[limit - 1] if len(rows) > limit else None
    following = (
        encode_cursor({"created_at": last["created_at"].isoformat(), "id": str(last["id"])})
        if last
        else None
    )
    return Page[ImportJobPublic](
        items=[to_public(row, with_errors=False) for row in rows[:limit]], next_cursor=following
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


async def _visible_job(pool: asyncpg.Pool, principal: Principal, job_id: uuid.UUID) -> Any:
    job = await pool.fetchrow(import_queries.JOB, job_id)
    if job is None or not may_see_job(
        principal, created_by=job["created_by"], region_code=job["region_code"]
    ):
        raise not_found(t("导入任务", "import"), str(job_id))
    return job


@jobs_router.get(
    "/{job_id}/errors.csv",
    summary="An import's errors as a CSV to fix the file by (行号, 列, 原因)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def import_errors(job_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool) -> Response:
    job = await _visible_job(pool, principal, job_id)
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads the Chinese correctly with a BOM
    writer = csv.writer(out)
    writer.writerow(["行号", "列", "原因"])
    writer.writerows([error["row"], error["column"], error["reason"]] for error in job["errors"])
    return Response(
        content=out.getvalue().encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-errors.csv"'},
    )


@jobs_router.get(
    "/{job_id}", response_model=ImportJobPublic, summary="An import's progress and result"
)
async def read_import(
    job_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool
) -> ImportJobPublic:
    return to_public(await _visible_job(pool, principal, job_id))


for _path, _endpoint in (
    ("", list_imports),
    ("/{job_id}/errors.csv", import_errors),
    ("/{job_id}", read_import),
):
    router.add_api_route(
        _path, _endpoint, methods=["GET"], include_in_schema=False, deprecated=True
    )
