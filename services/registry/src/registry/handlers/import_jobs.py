"""Running an import job: one uploaded file checked and loaded by the importer that claimed the
job (``registry.handlers.import_queue``), with progress kept in ``import_jobs``.

Modes (chosen by the caller):
- ``dry_run``: every row checked, against the database too, inside a transaction that is
  rolled back: the report is exactly what a real run would do, and nothing is stored.
- ``all_or_nothing``: the rows are loaded in one transaction, committed only if no row is bad;
  otherwise the job ends ``rejected`` with every bad row and nothing stored.
- ``good_rows``: the good rows are loaded in one transaction and the bad ones reported.

The same file (same kind and SHA-256) loaded again returns the earlier job instead of running
again; and since rows already present are skipped, even a changed file never duplicates one.

Every update names the claim (its ``attempt``): when the importer's lease lapsed and another
importer claimed the job, this one's progress and end change nothing and its rows roll back
(the job's end is written in the load's own transaction, which commits only if the claim
holds).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from registry.bulk.readers import Row as FileRow
from registry.bulk.readers import UnreadableFile, estimate_rows, read_rows
from registry.db import import_queries as sql
from registry.domain.imports.columns import HeaderError, ImportKind, map_headers
from registry.domain.imports.jobs import BATCH_ROWS, ImportMode, Tally
from registry.domain.imports.validation import FileChecker, RowContext, RowError
from registry.handlers.common import DEFAULT_EVENT_SOURCE, Connection, Pool, Row
from registry.handlers.import_audit import record_import_outcome
from registry.handlers.import_loader import Batch, BatchLoader, Prepared
from shared import metrics

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """The job was claimed again (this importer's heartbeat lapsed): this run's work is void."""


@dataclass
class CheckedBatch:
    records: Batch
    errors: list[RowError]
    rows_read: int
    finished: bool
    # The records' load arguments, when they need no database (``BatchLoader.prepare``).
    prepared: Prepared | None = None


def _next_batch(
    rows: Iterator[FileRow],
    checker: FileChecker,
    size: int,
    prepare: Callable[[Batch], Prepared | None],
) -> CheckedBatch:
    """Read and check up to ``size`` rows, and compute what loading them needs that is not the
    database's (CPU work: run in a thread)."""
    records: Batch = []
    errors: list[RowError] = []
    read = 0
    finished = True
    for number, raw in rows:
        read += 1
        record, row_errors = checker.check(number, raw)
        if record is not None:
            records.append((number, record))
        errors.extend(row_errors)
        if read >= size:
            finished = False
            break
    return CheckedBatch(records, errors, read, finished, prepare(records))


async def run_job(
    pool: Pool,
    job: Row,
    *,
    path: Path,
    context: RowContext,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
    batch_rows: int = BATCH_ROWS,
) -> Row | None:
    """Check and load the claimed job's file and end the job (succeeded, rejected or failed).

    None when the claim was lost: another importer holds the job, and nothing of this run
    stays. Cancelled (the importer is stopping), the load rolls back and the job stays running
    for the caller to give back (``import_queue.release``)."""
    kind, mode = ImportKind(job["kind"]), ImportMode(job["mode"])
    tally = Tally()
    try:
        return await _load(
            pool, job, kind, mode, path, context, topic_prefix, event_source, batch_rows, tally
        )
    except LeaseLost:
        logger.warning("import job %s: claimed again elsewhere; this run is void", job["id"])
        return None
    except HeaderError as exc:
        failure = f"header row: {exc}"
    except UnreadableFile as exc:
        failure = f"unreadable file: {exc}"
    except Exception as exc:  # the job must end, whatever happened; the log has the details
        logger.exception("import job %s failed", job["id"])
        failure = f"internal error: {type(exc).__name__}"
    return await end_job(pool, job, "failed", tally=tally, failure=failure)


async def end_job(
    executor: Pool | Connection,
    job: Row,
    status: str,
    *,
    tally: Tally | None = None,
    committed: bool = False,
    failure: str | None = None,
) -> Row | None:
    """The job ended as ``status`` (and its stored file dropped), with its audit record in the
    same transaction (in the load's own one when the rows are kept); None if the claim was
    lost."""
    if isinstance(executor, asyncpg.Pool):
        async with executor.acquire() as connection, connection.transaction():
            return await _end_job(connection, job, status, tally or Tally(), committed, failure)
    return await _end_job(executor, job, status, tally or Tally(), committed, failure)


async def _end_job(
    connection: Connection,
    job: Row,
    status: str,
    tally: Tally,
    committed: bool,
    failure: str | None,
) -> Row | None:
    loaded = 0 if status == "failed" else tally.loaded
    ended = await connection.fetchrow(
        sql.FINISH, job["id"], job["attempt"], status, committed, tally.processed,
        loaded, tally.skipped, len(tally.bad_rows), tally.errors_total, tally.kept, failure,
    )  # fmt: skip
    if ended is not None:
        metrics.record_import_job(ended)
        await record_import_outcome(
            connection, ended, status=status, committed=committed,
            processed_rows=tally.processed, loaded_rows=loaded, skipped_rows=tally.skipped,
            error_rows=len(tally.bad_rows), failure=failure,
        )  # fmt: skip
    return ended


def _progress_sent(pool: Pool, job: Row, tally: Tally) -> asyncio.Future[None]:
    """Progress, and the heartbeat that keeps the claim (one per batch), on its way: of the
    tally as it is now (the figures are read here, not when the update runs), raising
    ``LeaseLost`` when awaited if the claim was lost."""
    figures = (
        max(tally.total, tally.processed), tally.processed, tally.loaded, tally.skipped,
        len(tally.bad_rows), tally.errors_total,
    )  # fmt: skip

    async def claim_held() -> None:
        if await pool.execute(sql.PROGRESS, job["id"], job["attempt"], *figures) == "UPDATE 0":
            raise LeaseLost

    return asyncio.ensure_future(claim_held())


async def _load(
    pool: Pool,
    job: Row,
    kind: ImportKind,
    mode: ImportMode,
    path: Path,
    context: RowContext,
    topic_prefix: str,
    event_source: str,
    batch_rows: int,
    tally: Tally,
) -> Row | None:
    tally.total = await asyncio.to_thread(estimate_rows, path)
    await _progress_sent(pool, job, tally)
    rows = read_rows(path)
    header = await asyncio.to_thread(next, rows, None)
    if header is None:
        raise HeaderError("the file is empty")
    checker = FileChecker(kind, map_headers(kind, header[1]), context, tally.total)
    progress: asyncio.Future[None] | None = None
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        try:
            loader = BatchLoader(
                connection, kind=kind, actor=job["created_by"], job_id=job["id"],
                topic_prefix=topic_prefix, event_source=event_source,
                may_write=context.may_write,
            )  # fmt: skip
            # Reading and checking the next batch (a thread) overlaps loading this one.
            pending = asyncio.ensure_future(
                asyncio.to_thread(_next_batch, rows, checker, batch_rows, loader.prepare)
            )
            while True:
                checked = await pending
                if not checked.finished:
                    pending = asyncio.ensure_future(
                        asyncio.to_thread(_next_batch, rows, checker, batch_rows, loader.prepare)
                    )
                tally.add_errors(checked.errors)
                loaded, skipped, refused = await loader.load(checked.records, checked.prepared)
                # Its COPY buffers (megabytes) need not live on while the next batch is read.
                checked.prepared = None
                tally.add_errors(refused)
                tally.loaded += loaded
                tally.skipped += skipped
                tally.processed += checked.rows_read
                # The heartbeat goes on another connection beside the next batch's load; the
                # one before it has had a batch's time to answer.
                if progress is not None:
                    await progress
                progress = _progress_sent(pool, job, tally)
                if checked.finished:
                    await progress
                    break
            keep = mode is ImportMode.good_rows or (
                mode is ImportMode.all_or_nothing and not tally.bad_rows
            )
            ended = None
            if keep:
                # In the load's transaction: the rows commit only if this claim still holds.
                ended = await end_job(connection, job, "succeeded", tally=tally, committed=True)
                if ended is None:
                    raise LeaseLost
        except BaseException:
            if progress is not None:  # its outcome no longer counts
                progress.cancel()
                await asyncio.gather(progress, return_exceptions=True)
            await transaction.rollback()
            raise
        if keep:
            await transaction.commit()
            return ended
        await transaction.rollback()
    rejected = mode is ImportMode.all_or_nothing and tally.bad_rows
    return await end_job(pool, job, "rejected" if rejected else "succeeded", tally=tally)
