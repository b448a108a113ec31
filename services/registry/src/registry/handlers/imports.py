"""Import jobs as callers see them: queueing a file (``import_queue.enqueue``), the caller's
jobs, and one job.

Who may see an import job is decided by ``shared.auth.scope`` (``may_see_job`` for one job,
``job_scope`` for the list); this module only applies it to the job's row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from registry.bulk.readers import UnreadableFile, file_format, inflation_problem
from registry.db import import_queries
from registry.domain.imports.columns import ImportKind
from registry.domain.imports.jobs import ImportMode, UploadedFile
from registry.handlers.common import Context, Row
from registry.handlers.import_queue import enqueue, wait_for_end
from shared.auth import Principal
from shared.auth.scope import job_region, job_scope, may_import, may_see_job
from shared.http import catalogue
from shared.http.pagination import encode_cursor, read_cursor
from shared.http.problems import ProblemError, not_found
from shared.i18n import t

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class StartedImport:
    job: Row
    created: bool  # False: the caller's earlier run of the same file


@dataclass(frozen=True)
class JobsPage:
    rows: list[Row]
    next_cursor: str | None


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


def _check_readable(upload: UploadedFile, content_type: str) -> None:
    """What the first bytes already tell (an encrypted workbook, a PDF, …) and a workbook that
    would inflate too far are refused at once; anything deeper wrong with the file fails the
    job with the reason."""
    try:
        kind = file_format(upload.path)
    except UnreadableFile as exc:
        raise ProblemError(
            catalogue.UNREADABLE_FILE, t(f"文件无法读取：{exc.reason.zh}", exc.reason.en)
        ) from exc
    # A zip bomb is refused before it is queued, by what its archive declares (nothing is
    # inflated here); the importer would otherwise inflate it.
    inflation = inflation_problem(upload.path) if kind == "xlsx" else None
    if inflation is not None:
        raise ProblemError(catalogue.FILE_TOO_LARGE, inflation)
    if content_type.startswith(XLSX_TYPE) and kind != "xlsx":
        raise ProblemError(
            catalogue.UNREADABLE_FILE,
            t(
                "按 XLSX 发送，但不是 XLSX 工作簿：请用 Excel 或 WPS 打开后另存为 .xlsx，或以 CSV 发送",
                "sent as XLSX, but not an XLSX workbook (an XLSX file is a ZIP archive): "
                "open it in Excel or WPS and save it again as .xlsx, or send it as CSV",
            ),
        )


async def start_import(
    context: Context,
    principal: Principal,
    *,
    kind: ImportKind,
    mode: ImportMode,
    receive: Callable[[], Awaitable[UploadedFile]],
    content_type: str,
    wait_seconds: float | None,
) -> StartedImport:
    """Queue the file ``receive`` stores (called only once the caller may import), or find the
    caller's earlier run of it; with ``wait_seconds``, wait that long for a new job to end."""
    _require_importer(principal)
    upload = await receive()
    try:
        _check_readable(upload, content_type)
        job, created = await enqueue(
            context.pool,
            kind=kind,
            mode=mode,
            upload=upload,
            caller=principal,
            region_code=job_region(principal),
        )
    finally:
        upload.path.unlink(missing_ok=True)
    if created and wait_seconds is not None:
        job = await wait_for_end(context.pool, job, wait_seconds)
    return StartedImport(job, created)


async def list_jobs(
    context: Context,
    principal: Principal,
    *,
    kind: ImportKind | None,
    cursor: str | None,
    limit: int,
) -> JobsPage:
    """Newest first: the caller's own jobs, and those filed in regions it administers."""
    after_at, after_id = read_cursor(
        cursor, lambda p: (dt.datetime.fromisoformat(p["created_at"]), uuid.UUID(p["id"]))
    ) or (None, None)
    scope = job_scope(principal)
    rows = await context.pool.fetch(
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
    return JobsPage(rows=rows[:limit], next_cursor=following)


async def visible_job(context: Context, principal: Principal, job_id: uuid.UUID) -> Row:
    """The job, if the caller may see it (``shared.auth.scope.may_see_job``); else absent."""
    job = await context.pool.fetchrow(import_queries.JOB, job_id)
    if job is None or not may_see_job(
        principal, created_by=job["created_by"], region_code=job["region_code"]
    ):
        raise not_found(t("导入任务", "import"), str(job_id))
    return job
