"""Import jobs: one uploaded file checked and loaded, with progress kept in ``import_jobs``.

Modes (chosen by the caller):
- ``dry_run``: every row checked, against the database too, inside a transaction that is
  rolled back: the report is exactly what a real run would do, and nothing is stored.
- ``all_or_nothing``: the rows are loaded in one transaction, committed only if no row is bad;
  otherwise the job ends ``rejected`` with every bad row and nothing stored.
- ``good_rows``: the good rows are loaded in one transaction and the bad ones reported.

The same file (same kind and SHA-256) loaded again returns the earlier job instead of running
again; and since rows already present are skipped, even a changed file never duplicates one.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import logging
import uuid
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import asyncpg
from openpyxl.utils.exceptions import InvalidFileException

from registry.bulk.columns import HeaderError, ImportKind, map_headers
from registry.bulk.loader import Batch, BatchLoader
from registry.bulk.readers import Row, estimate_rows, read_rows
from registry.bulk.validation import FileChecker, RowContext, RowError
from registry.db import import_queries as sql

logger = logging.getLogger(__name__)

BATCH_ROWS = 5_000
# Every bad row is counted; the first this many errors are kept with the job.
MAX_KEPT_ERRORS = 10_000
# A running job whose heartbeat is older than this belongs to a process that stopped.
STALE_AFTER = dt.timedelta(minutes=5)


class ImportMode(StrEnum):
    dry_run = "dry_run"
    all_or_nothing = "all_or_nothing"
    good_rows = "good_rows"


@dataclass(frozen=True)
class UploadedFile:
    path: Path
    name: str | None
    sha256: str


@dataclass
class Tally:
    processed: int = 0
    loaded: int = 0
    skipped: int = 0
    bad_rows: set[int] = field(default_factory=set)
    errors_total: int = 0
    kept: list[dict[str, Any]] = field(default_factory=list)

    def add_errors(self, errors: list[RowError]) -> None:
        for error in errors:
            self.bad_rows.add(error.row)
            self.errors_total += 1
            if len(self.kept) < MAX_KEPT_ERRORS:
                self.kept.append(error.as_dict())


@dataclass
class CheckedBatch:
    records: Batch
    errors: list[RowError]
    rows_read: int
    finished: bool


def _next_batch(rows: Iterator[Row], checker: FileChecker, size: int) -> CheckedBatch:
    """Read and check up to ``size`` rows (CPU work: run in a thread)."""
    records: Batch = []
    errors: list[RowError] = []
    read = 0
    for number, raw in rows:
        read += 1
        record, row_errors = checker.check(number, raw)
        if record is not None:
            records.append((number, record))
        errors.extend(row_errors)
        if read >= size:
            return CheckedBatch(records, errors, read, finished=False)
    return CheckedBatch(records, errors, read, finished=True)


async def find_or_create_job(
    pool: asyncpg.Pool,
    *,
    kind: ImportKind,
    mode: ImportMode,
    upload: UploadedFile,
    actor: str,
    on_created: Callable[[asyncpg.Connection, asyncpg.Record], Awaitable[None]] | None = None,
) -> tuple[asyncpg.Record, bool]:
    """The earlier run of the same file (``created`` False), or a new running job;
    ``on_created`` runs in the job's transaction (its audit record)."""
    async with pool.acquire() as connection, connection.transaction():
        if mode is not ImportMode.dry_run:
            await connection.execute(sql.LOCK_FILE, f"{kind}:{upload.sha256}")
            earlier = await connection.fetchrow(sql.EARLIER_RUN, kind, upload.sha256, STALE_AFTER)
            if earlier is not None:
                return earlier, False
        total = await asyncio.to_thread(estimate_rows, upload.path)
        job = await connection.fetchrow(
            sql.INSERT_JOB, uuid.uuid4(), kind, upload.sha256, upload.name, mode, total, actor
        )
        if on_created is not None:
            await on_created(connection, job)
    assert job is not None
    return job, True


async def fail_interrupted_jobs(pool: asyncpg.Pool) -> None:
    """Every running job whose process stopped (at start: a previous process's jobs)."""
    await pool.execute(sql.FAIL_INTERRUPTED, STALE_AFTER, None)


async def current_state(pool: asyncpg.Pool, job: asyncpg.Record) -> asyncpg.Record:
    """The job, ended as interrupted if it still says running but its process stopped."""
    if job["status"] != "running":
        return job
    interrupted = await pool.fetchrow(sql.FAIL_INTERRUPTED, STALE_AFTER, job["id"])
    return interrupted or job


async def run_job(
    pool: asyncpg.Pool,
    job: asyncpg.Record,
    *,
    upload: UploadedFile,
    context: RowContext,
    topic_prefix: str,
    batch_rows: int = BATCH_ROWS,
) -> asyncpg.Record:
    """Check and load the file; always ends the job (succeeded, rejected or failed)."""
    kind, mode = ImportKind(job["kind"]), ImportMode(job["mode"])
    tally = Tally()
    try:
        status, committed = await _load(
            pool, job, kind, mode, upload, context, topic_prefix, batch_rows, tally
        )
        failure = None
    except HeaderError as exc:
        status, committed, failure = "failed", False, f"header row: {exc}"
    except (UnicodeDecodeError, csv.Error, zipfile.BadZipFile, InvalidFileException) as exc:
        status, committed, failure = "failed", False, f"unreadable file: {exc}"
    except asyncio.CancelledError:
        await _finish(pool, job["id"], "failed", False, tally, "interrupted: the service stopped")
        raise
    except Exception as exc:  # the job must end, whatever happened; the log has the details
        logger.exception("import job %s failed", job["id"])
        status, committed, failure = "failed", False, f"internal error: {type(exc).__name__}"
    return await _finish(pool, job["id"], status, committed, tally, failure)


async def _finish(
    pool: asyncpg.Pool,
    job_id: uuid.UUID,
    status: str,
    committed: bool,
    tally: Tally,
    failure: str | None,
) -> asyncpg.Record:
    row = await pool.fetchrow(
        sql.FINISH, job_id, status, committed, tally.processed,
        0 if status == "failed" else tally.loaded, tally.skipped,
        len(tally.bad_rows), tally.errors_total, tally.kept, failure,
    )  # fmt: skip
    assert row is not None
    return row


async def _load(
    pool: asyncpg.Pool,
    job: asyncpg.Record,
    kind: ImportKind,
    mode: ImportMode,
    upload: UploadedFile,
    context: RowContext,
    topic_prefix: str,
    batch_rows: int,
    tally: Tally,
) -> tuple[str, bool]:
    rows = read_rows(upload.path)
    header = await asyncio.to_thread(next, rows, None)
    if header is None:
        raise HeaderError("the file is empty")
    checker = FileChecker(kind, map_headers(kind, header[1]), context)
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        try:
            loader = BatchLoader(
                connection, kind=kind, actor=job["created_by"], job_id=job["id"],
                topic_prefix=topic_prefix, may_write=context.may_write,
            )  # fmt: skip
            # Reading and checking the next batch (a thread) overlaps loading this one.
            pending = asyncio.ensure_future(
                asyncio.to_thread(_next_batch, rows, checker, batch_rows)
            )
            while True:
                checked = await pending
                if not checked.finished:
                    pending = asyncio.ensure_future(
                        asyncio.to_thread(_next_batch, rows, checker, batch_rows)
                    )
                tally.add_errors(checked.errors)
                loaded, skipped, refused = await loader.load(checked.records)
                tally.add_errors(refused)
                tally.loaded += loaded
                tally.skipped += skipped
                tally.processed += checked.rows_read
                await pool.execute(
                    sql.PROGRESS, job["id"], tally.processed, tally.loaded, tally.skipped,
                    len(tally.bad_rows), tally.errors_total,
                )  # fmt: skip
                if checked.finished:
                    break
            keep = mode is ImportMode.good_rows or (
                mode is ImportMode.all_or_nothing and not tally.bad_rows
            )
        except BaseException:
            await transaction.rollback()
            raise
        if keep:
            await transaction.commit()
        else:
            await transaction.rollback()
    if mode is ImportMode.all_or_nothing and tally.bad_rows:
        return "rejected", False
    return "succeeded", keep
