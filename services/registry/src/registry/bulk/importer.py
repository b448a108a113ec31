"""The importer process role (``python -m registry importer``, started by
``registry.bootstrap.run_importer``): claims queued import jobs from the database and runs them,
one at a time; run several for more at once.

Crash and rollout: the job's rows load in one transaction, so a job cut off loses nothing and
stores nothing. Stopping (SIGTERM), the importer rolls its job back and gives it back to the
queue at once; killed, its heartbeat lapses and the next importer claims the job after the
lease. Either way the job restarts cleanly from its first row. A job whose importers stopped
``MAX_LAPSES`` times fails, so that a file that kills its importer cannot stall the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import asyncpg

from registry.config import RegistrySettings
from registry.domain.imports.caller import principal_of, row_context
from registry.domain.regions import RegionTree
from registry.handlers import import_queue as queue
from registry.handlers.common import Pool, Row
from registry.handlers.import_jobs import end_job, run_job

logger = logging.getLogger(__name__)

MAX_LAPSES = 3


class Importer:
    def __init__(
        self, pool: Pool, settings: RegistrySettings, regions: RegionTree, name: str,
        on_progress: Callable[[], None] = lambda: None,
    ) -> None:  # fmt: skip
        self.pool, self.settings, self.regions, self.name = pool, settings, regions, name
        self.lease = dt.timedelta(seconds=settings.import_lease_seconds)
        # Liveness (GET /livez): an idle poll, and each renewed claim while a job runs.
        self.on_progress = on_progress

    async def run(self, stop: asyncio.Event) -> None:
        logger.info("importer %s started (lease %s)", self.name, self.lease)
        while not stop.is_set():
            try:
                job = await queue.claim(self.pool, self.name, self.lease)
                self.on_progress()
                if job is not None:
                    await self.run_claimed(job, stop)
                    continue
            except (OSError, asyncpg.PostgresError):
                # The database is away: the claimed job (if any) is reclaimed after its lease.
                logger.warning("importer %s: database error; retrying", self.name, exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    stop.wait(), timeout=self.settings.import_poll_interval_seconds
                )

    async def run_claimed(self, job: Row, stop: asyncio.Event) -> None:
        logger.info("import job %s: claim %d by %s", job["id"], job["attempt"], self.name)
        if job["lapsed"] >= MAX_LAPSES:
            reason = f"interrupted: its importer stopped {job['lapsed']} times while running it"
            await end_job(self.pool, job, "failed", failure=reason)
            return
        path = await queue.fetch_file(self.pool, job)
        if path is None:
            await end_job(self.pool, job, "failed", failure="the uploaded file is not stored")
            return
        principal = principal_of(job)
        work = asyncio.create_task(
            run_job(
                self.pool, job, path=path, context=row_context(principal, self.regions),
                topic_prefix=self.settings.kafka_topic_prefix,
                event_source=self.settings.event_source,
                batch_rows=self.settings.import_batch_rows,
            )
        )  # fmt: skip
        keep_alive = asyncio.create_task(self._keep_alive(job, work))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
                await queue.release(self.pool, job)
                logger.info("import job %s: given back to the queue (stopping)", job["id"])
            elif not work.cancelled() and (ended := work.result()) is not None:
                logger.info("import job %s: %s", job["id"], ended["status"])
        finally:
            keep_alive.cancel()
            stopping.cancel()
            path.unlink(missing_ok=True)

    async def _keep_alive(self, job: Row, work: asyncio.Task[Any]) -> None:
        """Heartbeats between batches too (a batch may wait on a lock): and if the claim was
        lost, the run stops, since nothing it does can count any more."""
        interval = self.lease.total_seconds() / 4
        while not work.done():
            await asyncio.sleep(interval)
            try:
                held = await queue.heartbeat(self.pool, job)
            except (OSError, asyncpg.PostgresError):
                logger.warning("import job %s: heartbeat failed", job["id"], exc_info=True)
                continue
            if not held:
                logger.warning("import job %s: claim lost; stopping this run", job["id"])
                work.cancel()
                return
            self.on_progress()
