"""``/v1/imports``: bulk import of enterprises, stores and park residents from CSV or XLSX.

The file is the request body (``Content-Type: text/csv`` or the XLSX type), not a multipart
form: it is streamed to a temporary file with its SHA-256 computed on the way, and refused with
413 as soon as it passes the size limit (at once when Content-Length already says so). The
job runs in the background; ``GET /v1/imports/{id}`` shows its progress and result.
``Prefer: wait=N`` (RFC 7240) waits up to N seconds for the result before answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import io
import re
import uuid
from functools import lru_cache
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI, Header, Query, Request, Response, status

from registry.api.deps import Pool, Regions, Settings
from registry.api.schemas import ImportJobPublic
from registry.api.uploads import receive_upload
from registry.bulk.columns import ImportKind
from registry.bulk.jobs import (
    ImportMode,
    UploadedFile,
    current_state,
    fail_interrupted_jobs,
    find_or_create_job,
    run_job,
)
from registry.bulk.template import template_xlsx
from registry.bulk.validation import RowContext
from registry.db import import_queries
from registry.domain.regions import RegionTree
from registry.import_audit import record_import_submitted
from shared.auth import CurrentPrincipal, Principal, Role, may_act_on_region
from shared.http.pagination import Page, decode_cursor, encode_cursor
from shared.http.problems import ProblemError, not_found

router = APIRouter(prefix="/v1/imports", tags=["imports"])

MAX_WAIT_SECONDS = 60
_WAIT = re.compile(r"wait=(\d+)")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BUREAUS = {Role.province_admin, Role.city_bureau, Role.county_bureau}


def _require_importer(principal: Principal) -> None:
    if principal.roles & BUREAUS:
        return
    if Role.integrator in principal.roles and "write" in principal.grants:
        return
    raise ProblemError(
        status=403,
        title="Forbidden",
        detail="bulk imports are for the province, city and county bureaus "
        "(and integrators granted write)",
    )


def _row_context(principal: Principal, regions: RegionTree) -> RowContext:
    @lru_cache(maxsize=4096)
    def region_known(code: str) -> bool:
        return code in regions and regions.get(code).is_current

    @lru_cache(maxsize=4096)
    def may_write(code: str) -> bool:
        return may_act_on_region(principal, code, write=True)

    return RowContext(region_known=region_known, may_write=may_write)


def to_public(job: asyncpg.Record, *, with_errors: bool = True) -> ImportJobPublic:
    values: dict[str, Any] = dict(job)
    if not with_errors:
        values["errors"] = []
    total = max(values["total_rows"], values["processed_rows"])
    values["total_rows"] = total
    values["progress"] = 1.0 if values["status"] != "running" else (
        round(values["processed_rows"] / total, 4) if total else 0.0
    )  # fmt: skip
    return ImportJobPublic.model_validate(values)


async def _run_and_clean_up(pool: asyncpg.Pool, job: asyncpg.Record, **arguments: Any) -> Any:
    upload: UploadedFile = arguments["upload"]
    try:
        return await run_job(pool, job, **arguments)
    finally:
        upload.path.unlink(missing_ok=True)


@router.post(
    "/{kind}",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportJobPublic,
    summary="Import enterprises, stores or park residents from a CSV or XLSX file",
    responses={
        200: {"description": "Finished within Prefer: wait, or the same file's earlier run"},
        413: {"description": "File over the size limit"},
    },
)
async def start_import(
    kind: ImportKind,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    pool: Pool,
    regions: Regions,
    settings: Settings,
    mode: ImportMode = ImportMode.dry_run,
    file_name: str | None = Query(default=None, max_length=200),
    prefer: str | None = Header(default=None),
) -> ImportJobPublic:
    _require_importer(principal)
    upload = await receive_upload(request, settings.max_upload_bytes, file_name)
    try:
        job, created = await find_or_create_job(
            pool, kind=kind, mode=mode, upload=upload, actor=principal.subject,
            on_created=lambda connection, job: record_import_submitted(connection, job, principal),
        )  # fmt: skip
    except BaseException:
        upload.path.unlink(missing_ok=True)
        raise
    response.headers["Location"] = f"/v1/imports/{job['id']}"
    if not created:
        upload.path.unlink(missing_ok=True)
        response.status_code = status.HTTP_200_OK
        return to_public(job)
    task = asyncio.create_task(
        _run_and_clean_up(
            pool,
            job,
            upload=upload,
            context=_row_context(principal, regions),
            topic_prefix=settings.kafka_topic_prefix,
        )
    )
    tasks: set[asyncio.Task[Any]] = request.app.state.import_tasks
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    match = _WAIT.search(prefer or "")
    if match:
        done, _ = await asyncio.wait({task}, timeout=min(int(match.group(1)), MAX_WAIT_SECONDS))
        if done:
            response.status_code = status.HTTP_200_OK
            return to_public(task.result())
    return to_public(job)


def _reads_every_job(principal: Principal) -> bool:
    return bool({Role.province_admin, Role.integrator} & principal.roles)


@router.get(
    "",
    response_model=Page[ImportJobPublic],
    summary="Imports, newest first: the caller's own (the province and integrators: all)",
    description="Lists leave each job's `errors` empty: read the job for them.",
)
async def list_imports(
    principal: CurrentPrincipal,
    pool: Pool,
    kind: ImportKind | None = None,
    cursor: str | None = None,
    limit: int = Query(default=20, ge=1, le=100),
) -> Page[ImportJobPublic]:
    position = decode_cursor(cursor) if cursor else {}
    rows = await pool.fetch(
        import_queries.JOBS,
        None if _reads_every_job(principal) else principal.subject,
        kind,
        dt.datetime.fromisoformat(position["created_at"]) if position else None,
        uuid.UUID(position["id"]) if position else None,
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
    if job is None or not (job["created_by"] == principal.subject or _reads_every_job(principal)):
        raise not_found("import", str(job_id))
    return job


@router.get(
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


@router.get("/{job_id}", response_model=ImportJobPublic, summary="An import's progress and result")
async def read_import(
    job_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool
) -> ImportJobPublic:
    return to_public(await current_state(pool, await _visible_job(pool, principal, job_id)))


async def start_imports(app: FastAPI) -> None:
    app.state.import_tasks = set()
    await fail_interrupted_jobs(app.state.pool)


async def stop_imports(app: FastAPI) -> None:
    """Stop running imports: their transactions roll back and the jobs end as interrupted."""
    tasks: set[asyncio.Task[Any]] = app.state.import_tasks
    for task in tasks:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*tasks, return_exceptions=True)
