"""Anchors: the chain head published as ``audit.checkpoint.recorded`` through the outbox, and
the periodic loop that does it (with making partitions ahead).

Every service's relay role runs the loop as a task beside the relay
(``shared.service.entrypoints.relay_role``), so no process role is added; ``ecom-audit
checkpoint`` publishes one at once. ``run_auditor`` runs the loop alone (tests, one-off use).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import uuid

import asyncpg

from shared.audit import queries
from shared.audit.retention import ensure_partitions
from shared.db.pool import create_pool
from shared.events.audit import AuditCheckpointRecorded
from shared.messaging.outbox import append_events
from shared.settings import ServiceSettings, event_source_of

log = logging.getLogger(__name__)


async def publish_checkpoint(
    connection: asyncpg.Connection,
    *,
    service: str,
    topic_prefix: str = "",
    event_source: str | None = None,
    force: bool = False,
) -> AuditCheckpointRecorded | None:
    """Publish the head unless it was already published (``force``: publish anyway)."""
    async with connection.transaction():
        # Relays of several replicas run the loop: one at a time decides, so a head is
        # published once.
        await connection.execute("SELECT pg_advisory_xact_lock(hashtext('audit.checkpoint'))")
        head = await connection.fetchrow(queries.HEAD)
        if head is None:
            raise RuntimeError(queries.NO_CHAIN_HEAD)
        last = await connection.fetchrow(queries.LAST_CHECKPOINT)
        if not force and last is not None and last["seq"] == head["seq"]:
            return None
        event = AuditCheckpointRecorded(
            service=service,
            seq=head["seq"],
            row_hash=head["row_hash"],
            head_recorded_at=head["recorded_at"],
            checkpointed_at=dt.datetime.now(dt.UTC),
        )
        [event_id] = await append_events(
            connection,
            [event],
            source=event_source or event_source_of(service),
            topic_prefix=topic_prefix,
        )
        await connection.execute(
            queries.INSERT_CHECKPOINT, uuid.UUID(event_id), head["seq"], head["row_hash"]
        )
    return event


async def audit_tick(pool: asyncpg.Pool, settings: ServiceSettings) -> None:
    async with pool.acquire() as connection:
        try:
            made = await ensure_partitions(connection)
            if made:
                log.info("audit: made %d monthly partitions ahead", made)
        except asyncpg.InsufficientPrivilegeError:
            # The service's own role may not create tables: the migrating role makes them
            # (13 months at migration); ecom-audit partitions makes more.
            log.warning("audit: no right to make partitions; run `ecom-audit partitions`")
        event = await publish_checkpoint(
            connection,
            service=settings.service_name,
            topic_prefix=settings.kafka_topic_prefix,
            event_source=settings.event_source,
        )
        if event is not None:
            log.info("audit checkpoint: %s at seq %d %s", event.service, event.seq, event.row_hash)


async def auditor_loop(pool: asyncpg.Pool, settings: ServiceSettings, stop: asyncio.Event) -> None:
    """Every ``audit_checkpoint_interval_seconds`` until ``stop``: partitions, then a checkpoint."""
    while not stop.is_set():
        try:
            await audit_tick(pool, settings)
        except Exception:  # the next tick tries again; the log has the details
            log.exception("audit tick failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.audit_checkpoint_interval_seconds)


async def _auditor(settings: ServiceSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        log.info("%s auditor started", settings.service_name)
        await auditor_loop(pool, settings, stop)
    finally:
        await pool.close()


def run_auditor(settings: ServiceSettings) -> None:
    """The ``auditor`` process role: one replica is enough (a second only adds checkpoints)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(_auditor(settings))
