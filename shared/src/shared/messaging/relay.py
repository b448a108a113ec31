"""The outbox relay: the only path by which domain events reach Kafka.

Ownership: rows are spread over lanes by key (``outbox.lane_of``). A relay owns lanes through
session-level advisory locks held on its own connection, so exactly one replica publishes a
lane at a time and each entity's events leave in commit order; when a replica dies its session
ends, its locks go, and another replica takes the lanes over on its next round.

Publishing is pipelined (three batches deep by default): batch N+1 is claimed (``FOR UPDATE SKIP LOCKED``
skips the rows batch N still holds) and queued on the producer while batch N waits for its
acknowledgements (acks=all). Batches are marked published and committed strictly in order; if
one fails, every batch behind it is rolled back too, so a lane is re-sent from its oldest
unpublished row. Delivery is at least once; consumers drop duplicates through their inbox.
The relay wakes on ``LISTEN outbox_inserted`` and polls as a fallback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaProducer
from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind

from shared.messaging.outbox import OUTBOX_LANES
from shared.telemetry import context_from_headers

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)
meter = metrics.get_meter(__name__)

ADVISORY_LOCK_CLASS = 0x0B0C  # first key of the (class, lane) advisory lock pair
CONTENT_TYPE = b"application/cloudevents+json; charset=utf-8"

_TAKE_LANES = """
SELECT lane FROM unnest($1::int[]) AS lane WHERE pg_try_advisory_lock($2, lane)
"""
_CLAIM = """
SELECT id, topic, message_key, event_type, payload, traceparent, tracestate
FROM outbox
WHERE published_at IS NULL AND lane = ANY($1::int[])
ORDER BY id
LIMIT $2
FOR UPDATE SKIP LOCKED
"""
_MARK_PUBLISHED = "UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])"
_BACKLOG = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
_PURGE = """
DELETE FROM outbox WHERE published_at IS NOT NULL
AND published_at < now() - make_interval(days => $1)
"""


@dataclass
class _InFlight:
    connection: asyncpg.pool.PoolConnectionProxy
    transaction: asyncpg.transaction.Transaction
    rows: list[asyncpg.Record]
    acknowledgements: list[asyncio.Future[object]] = field(default_factory=list)


class OutboxRelay:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        dsn: str,
        batch_size: int = 500,
        poll_interval_seconds: float = 1.0,
        max_lanes: int = OUTBOX_LANES,
        pipeline_depth: int = 3,
        retention_days: int = 7,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._dsn = dsn
        self._batch_size = batch_size
        self._poll_interval = poll_interval_seconds
        self._max_lanes = max_lanes
        self._pipeline_depth = max(1, pipeline_depth)
        self._retention_days = retention_days
        self._wake = asyncio.Event()
        self._lease: asyncpg.Connection | None = None
        self._lanes: list[int] = []
        self._published = meter.create_counter(
            "outbox.published", unit="{event}", description="Events relayed to Kafka"
        )
        self._backlog = 0
        meter.create_observable_gauge(
            "outbox.backlog",
            callbacks=[lambda _options: [metrics.Observation(self._backlog)]],
            unit="{event}",
            description="Unpublished outbox rows seen at the last idle round",
        )

    @property
    def lanes(self) -> list[int]:
        return list(self._lanes)

    @property
    def lease_pid(self) -> int | None:
        return self._lease.get_server_pid() if self._lease is not None else None

    async def open(self) -> None:
        """Connect the lease session (lane locks and LISTEN live on it)."""
        if self._lease is None:
            self._lease = await asyncpg.connect(self._dsn)
            await self._lease.add_listener("outbox_inserted", lambda *_: self._wake.set())

    async def close(self) -> None:
        if self._lease is not None:
            await self._lease.close()  # ends the session: the lanes are free for others
            self._lease = None
            self._lanes = []

    async def take_free_lanes(self) -> list[int]:
        """Lock the lanes no other relay holds, up to ``max_lanes``."""
        assert self._lease is not None, "open() the relay first"
        wanted = self._max_lanes - len(self._lanes)
        if wanted > 0:
            free = [lane for lane in range(OUTBOX_LANES) if lane not in self._lanes]
            rows = await self._lease.fetch(_TAKE_LANES, free[:OUTBOX_LANES], ADVISORY_LOCK_CLASS)
            taken = [row["lane"] for row in rows]
            # Keep what we may own; hand back any surplus at once.
            for lane in taken[wanted:]:
                await self._lease.execute(
                    "SELECT pg_advisory_unlock($1, $2)", ADVISORY_LOCK_CLASS, lane
                )
            self._lanes.extend(taken[:wanted])
        return self.lanes

    async def publish_available(self) -> int:
        """Publish everything now unpublished in this relay's lanes; returns the count.

        The next claim runs on another connection while this batch is queued on the producer,
        and each batch's acknowledgement wait, mark and commit runs while later batches are
        sent; commits are chained, so none commits before the batch ahead of it.
        """
        lanes = await self.take_free_lanes()
        if not lanes:
            return 0
        finishing: list[asyncio.Task[int]] = []
        claim = asyncio.create_task(self._claim(lanes))
        try:
            while (batch := await claim) is not None:
                claim = asyncio.create_task(self._claim(lanes))
                try:
                    batch.acknowledgements = [await self._send(row) for row in batch.rows]
                except BaseException:
                    await self._abandon(batch)
                    raise
                previous = finishing[-1] if finishing else None
                finishing.append(asyncio.create_task(self._finish_after(previous, batch)))
                if len(finishing) >= self._pipeline_depth:
                    await finishing[-self._pipeline_depth]
            return sum(await asyncio.gather(*finishing))
        except BaseException:
            claim.cancel()
            late = await asyncio.gather(claim, *finishing, return_exceptions=True)
            if isinstance(late[0], _InFlight):
                await self._abandon(late[0])
            raise

    async def _claim(self, lanes: Sequence[int]) -> _InFlight | None:
        connection = await self._pool.acquire()
        transaction = connection.transaction()
        try:
            await transaction.start()
            rows = await connection.fetch(_CLAIM, lanes, self._batch_size)
        except BaseException:
            await self._pool.release(connection)
            raise
        batch = _InFlight(connection, transaction, rows)
        if not rows:
            await self._abandon(batch)
            return None
        return batch

    async def _abandon(self, batch: _InFlight) -> None:
        try:
            await batch.transaction.rollback()
        finally:
            await self._pool.release(batch.connection)

    async def _finish_after(self, previous: asyncio.Task[int] | None, batch: _InFlight) -> int:
        try:
            if previous is not None:
                await previous  # raises if the batch ahead failed: then this one must not commit
            await asyncio.gather(*batch.acknowledgements)
            await batch.connection.execute(_MARK_PUBLISHED, [row["id"] for row in batch.rows])
            await batch.transaction.commit()
        except BaseException:
            await self._abandon(batch)
            raise
        await self._pool.release(batch.connection)
        self._published.add(len(batch.rows))
        return len(batch.rows)

    async def _send(self, row: asyncpg.Record) -> asyncio.Future[object]:
        headers = [("content-type", CONTENT_TYPE), ("ce_type", row["event_type"].encode())]
        traceparent = row["traceparent"]
        if traceparent:
            # A producer span in the trace of the request that wrote the event; the consumer's
            # span becomes its child through the traceparent header.
            carrier = {"traceparent": traceparent}
            if row["tracestate"]:
                carrier["tracestate"] = row["tracestate"]
            span = tracer.start_span(
                f"{row['topic']} publish",
                context=context_from_headers(carrier),  # type: ignore[arg-type]
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": row["topic"],
                },
            )
            span_context = span.get_span_context()
            if span_context.is_valid:
                traceparent = (
                    f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-"
                    f"{int(span_context.trace_flags):02x}"
                )
            span.end()
            headers.append(("traceparent", traceparent.encode()))
            if row["tracestate"]:
                headers.append(("tracestate", row["tracestate"].encode()))
        future: asyncio.Future[object] = await self._producer.send(
            row["topic"], value=row["payload"], key=row["message_key"].encode(), headers=headers
        )
        return future

    async def drain(self) -> int:
        """Open, publish what is there, close (tests, benchmarks, one-off runs)."""
        await self.open()
        try:
            return await self.publish_available()
        finally:
            await self.close()

    async def run(self, stop: asyncio.Event) -> None:
        await self.open()
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    sent = await self.publish_available()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("outbox round failed, retrying: %s", exc)
                    sent = 0
                if not sent:
                    await self._measure_backlog()
                    await self._sleep_until_woken(stop)
        finally:
            await self.close()

    async def _sleep_until_woken(self, stop: asyncio.Event) -> None:
        """Until a NOTIFY, a stop request or the poll interval, whichever comes first."""
        waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self._poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def purge_published(self) -> int:
        result = await self._pool.execute(_PURGE, self._retention_days)
        return int(result.split()[-1])

    async def _measure_backlog(self) -> None:
        self._backlog = int(await self._pool.fetchval(_BACKLOG))
