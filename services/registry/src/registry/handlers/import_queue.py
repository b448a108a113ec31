"""The import job queue in PostgreSQL, shared by the API (which queues a job with its file) and
the importer processes (which claim jobs, keep them by a heartbeat, and give them back when
they stop).

The file is stored in the database, in parts, in the transaction that queues the job: API and
importer pods share nothing else, and a job is never queued without its file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from registry.db import import_queries as sql
from registry.domain.imports.caller import caller_scope
from registry.domain.imports.columns import ImportKind
from registry.domain.imports.jobs import ENDED, ImportMode, UploadedFile
from registry.handlers.common import Pool, Row
from registry.handlers.import_audit import record_import_submitted
from shared.auth import Principal

FILE_PART_BYTES = 1 << 20
WAIT_POLL_SECONDS = 0.25


def _parts(job_id: uuid.UUID, path: Path) -> Iterator[tuple[uuid.UUID, int, bytes]]:
    with path.open("rb") as handle:
        part = 0
        while chunk := handle.read(FILE_PART_BYTES):
            yield job_id, part, chunk
            part += 1


async def enqueue(
    pool: Pool, *, kind: ImportKind, mode: ImportMode, upload: UploadedFile,
    caller: Principal, region_code: str | None,
) -> tuple[Row, bool]:  # fmt: skip
    """The caller's earlier run of the same file (``created`` False), or a new queued job with
    its file and its audit record, filed under ``region_code`` (its creator's, for scope).
    Another caller's upload of the same file is a job of its own."""
    async with pool.acquire() as connection, connection.transaction():
        if mode is not ImportMode.dry_run:
            await connection.execute(sql.LOCK_FILE, f"{kind}:{upload.sha256}:{caller.subject}")
            earlier = await connection.fetchrow(
                sql.EARLIER_RUN, kind, upload.sha256, caller.subject
            )
            if earlier is not None:
                return earlier, False
        inserted = await connection.fetchrow(
            sql.INSERT_JOB, uuid.uuid4(), kind, upload.sha256, upload.name, mode,
            caller.subject, caller_scope(caller), region_code,
        )  # fmt: skip
        job = cast(Row, inserted)  # INSERT … RETURNING always returns the row
        await record_import_submitted(connection, job, caller)
        await connection.copy_records_to_table(
            sql.FILE_PARTS_TABLE,
            records=_parts(job["id"], upload.path),
            columns=sql.FILE_PART_COLUMNS,
        )
    return job, True


async def wait_for_end(pool: Pool, job: Row, seconds: float) -> Row:
    """The job once it ended, or as it stands after ``seconds`` (``Prefer: wait``)."""
    deadline = time.monotonic() + seconds
    while job["status"] not in ENDED and time.monotonic() < deadline:
        await asyncio.sleep(min(WAIT_POLL_SECONDS, max(deadline - time.monotonic(), 0)))
        job = await pool.fetchrow(sql.JOB, job["id"]) or job
    return job


async def claim(pool: Pool, importer: str, lease: dt.timedelta) -> Row | None:
    """The oldest queued job, or one whose importer's heartbeat lapsed, now held by ``importer``."""
    return await pool.fetchrow(sql.CLAIM, importer, lease)


async def heartbeat(pool: Pool, job: Row) -> bool:
    """Renews the claim; False when it was lost (the job was claimed again, or ended)."""
    return await pool.execute(sql.HEARTBEAT, job["id"], job["attempt"]) != "UPDATE 0"


async def release(pool: Pool, job: Row) -> None:
    """Gives the claim back: the next importer runs the job from its first row."""
    await pool.execute(sql.RELEASE, job["id"], job["attempt"])


async def fetch_file(pool: Pool, job: Row) -> Path | None:
    """The job's stored file, copied to a temporary file under ``TMPDIR`` (XLSX needs a file it
    can seek in); None when the job has no stored file."""
    handle, name = tempfile.mkstemp(prefix="registry-import-")
    path, parts = Path(name), 0
    try:
        with os.fdopen(handle, "wb") as out:
            async with pool.acquire() as connection, connection.transaction(readonly=True):
                cursor: Any = connection.cursor(sql.FILE_PARTS, job["id"], prefetch=4)
                async for row in cursor:
                    await asyncio.to_thread(out.write, row["content"])
                    parts += 1
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if parts == 0:
        path.unlink(missing_ok=True)
        return None
    return path
