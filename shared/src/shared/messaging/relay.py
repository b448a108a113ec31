"""The outbox relay: the only path by which domain events reach Kafka.

Each round locks the lanes no other replica holds (transaction-scoped advisory locks), takes
their oldest unpublished rows with ``FOR UPDATE SKIP LOCKED``, sends them in id order keyed by
aggregate id, waits for every acknowledgement (acks=all) and marks them published in the same
transaction. A crash before the commit means the rows are sent again: delivery is at least
once, and consumers drop duplicates through their inbox. The relay wakes on ``LISTEN`` for
``outbox_inserted`` and polls as a fallback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

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

_LOCK_LANES = """
SELECT lane FROM generate_series(0, $1 - 1) AS lane
WHERE pg_try_advisory_xact_lock($2, lane)
"""
_CLAIM = """
SELECT id, topic, message_key, event_type, envelope::text AS envelope,
       envelope->>'traceparent' AS traceparent, envelope->>'tracestate' AS tracestate
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


class OutboxRelay:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        listen_dsn: str | None = None,
        batch_size: int = 500,
        poll_interval_seconds: float = 1.0,
        retention_days: int = 7,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._listen_dsn = listen_dsn
        self._batch_size = batch_size
        self._poll_interval = poll_interval_seconds
        self._retention_days = retention_days
        self._wake = asyncio.Event()
        self._published = meter.create_counter(
            "outbox.published", unit="{event}", description="Events relayed to Kafka"
        )
        self._backlog = 0
        meter.create_observable_gauge(
            "outbox.backlog",
            callbacks=[lambda _options: [metrics.Observation(self._backlog)]],
            unit="{event}",
            description="Unpublished outbox rows seen at the last round",
        )

    async def publish_once(self) -> int:
        """One round: publish at most one batch; returns how many events were sent."""
        async with self._pool.acquire() as connection, connection.transaction():
            lanes = [row["lane"] for row in await connection.fetch(
                _LOCK_LANES, OUTBOX_LANES, ADVISORY_LOCK_CLASS
            )]
            if not lanes:
                return 0
            rows = await connection.fetch(_CLAIM, lanes, self._batch_size)
            if not rows:
                return 0
            await self._send_in_order(rows)
            await connection.execute(_MARK_PUBLISHED, [row["id"] for row in rows])
        self._published.add(len(rows))
        return len(rows)

    async def _send_in_order(self, rows: Sequence[asyncpg.Record]) -> None:
        # Sends are queued in id order on one producer; the idempotent producer keeps the
        # order within each partition, so all futures can be awaited together.
        futures = []
        for row in rows:
            headers = [
                ("content-type", b"application/cloudevents+json; charset=utf-8"),
                ("ce_type", row["event_type"].encode()),
            ]
            trace_headers = {
                key: row[key] for key in ("traceparent", "tracestate") if row[key]
            }
            with tracer.start_as_current_span(
                f"{row['topic']} publish",
                context=context_from_headers(trace_headers),  # type: ignore[arg-type]
                kind=SpanKind.PRODUCER,
                attributes={"messaging.system": "kafka", "messaging.destination.name": row["topic"]},
            ) as span:
                span_context = span.get_span_context()
                traceparent = (
                    f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-"
                    f"{int(span_context.trace_flags):02x}"
                )
                headers.append(("traceparent", traceparent.encode()))
                if "tracestate" in trace_headers:
                    headers.append(("tracestate", trace_headers["tracestate"].encode()))
                futures.append(
                    await self._producer.send(
                        row["topic"],
                        value=row["envelope"].encode("utf-8"),
                        key=row["message_key"].encode("utf-8"),
                        headers=headers,
                    )
                )
        await asyncio.gather(*futures)

    async def drain(self) -> int:
        """Publish until nothing is left (used by tests and at shutdown)."""
        total = 0
        while sent := await self.publish_once():
            total += sent
        return total

    async def run(self, stop: asyncio.Event) -> None:
        listener = await self._listen()
        try:
            while not stop.is_set():
                try:
                    sent = await self.publish_once()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("outbox round failed, retrying: %s", exc)
                    sent = 0
                    await asyncio.sleep(self._poll_interval)
                if sent:
                    continue
                await self._measure_backlog()
                self._wake.clear()
                await self._sleep_until_woken(stop)
        finally:
            if listener is not None:
                await listener.close()

    async def _sleep_until_woken(self, stop: asyncio.Event) -> None:
        """Until a NOTIFY, a stop request or the poll interval, whichever comes first."""
        waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=self._poll_interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def purge_published(self) -> int:
        result = await self._pool.execute(_PURGE, self._retention_days)
        return int(result.split()[-1])

    async def _measure_backlog(self) -> None:
        self._backlog = int(await self._pool.fetchval(_BACKLOG))

    async def _listen(self) -> asyncpg.Connection | None:
        if self._listen_dsn is None:
            return None
        connection = await asyncpg.connect(self._listen_dsn)
        await connection.add_listener("outbox_inserted", lambda *_: self._wake.set())
        return connection
