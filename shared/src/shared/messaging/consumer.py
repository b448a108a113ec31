"""The idempotent consumer: effect and inbox row in one transaction, then the offset.

For every message the handler runs inside a transaction that first inserts
``(consumer, source, event_id)`` into ``inbox``; a redelivered event finds its row and is
skipped. Offsets are committed only after the transaction, so a crash in between means a
redelivery that the inbox absorbs.

Failures are told apart (``failures.classify``):

- transient (the database or network is away, a serialization failure, a deadlock, a lock or
  statement timeout): retried without limit, with capped exponential backoff; the offset is
  not committed and nothing is dead-lettered, so an outage only delays the partition;
- poison (not an envelope, an unknown type, an invalid payload, or a handler raising
  ``PoisonMessage``): dead-lettered at once with the reason;
- anything else a handler raises (a bug, a rule the data breaks): ``max_attempts`` tries with
  backoff, then dead-lettered, so one bad event cannot stall its partition for ever.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from shared import metrics
from shared.events.catalog import EventCatalog, UnknownEventType
from shared.events.envelope import DomainEvent, EventEnvelope
from shared.messaging.failures import Failure, PoisonMessage, classify
from shared.telemetry import context_from_headers, kafka_headers_to_dict

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

Handler = Callable[[asyncpg.Connection, DomainEvent, EventEnvelope], Awaitable[None]]

E = TypeVar("E", bound=DomainEvent)


def expect(event: DomainEvent, kind: type[E]) -> E:
    """The event as the type its handler is registered for (the consumer dispatches by type)."""
    if not isinstance(event, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(event).__name__}")
    return event


def handler_of(
    kind: type[E], apply: Callable[[asyncpg.Connection, E], Awaitable[object]]
) -> Handler:
    """The handler of one event type that only applies the event in the consumer's
    transaction (``apply(connection, event)``); another type given to it is a wiring fault."""

    async def handle(connection: asyncpg.Connection, event: DomainEvent, _: EventEnvelope) -> None:
        await apply(connection, expect(event, kind))

    return handle


_CLAIM_INBOX = """
INSERT INTO inbox (consumer, source, event_id, event_type) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING event_id
"""

__all__ = ["ConsumerSettings", "Handler", "IdempotentConsumer", "PoisonMessage"]


def dead_letter_topic(topic_prefix: str, consumer_name: str) -> str:
    return f"{topic_prefix}dlq.{consumer_name}"


@dataclass(frozen=True)
class ConsumerSettings:
    name: str
    topic_prefix: str = ""
    max_attempts: int = 5
    backoff_initial_seconds: float = 0.2
    backoff_max_seconds: float = 10.0
    # Pool acquire and release: a connection broken by a server restart can leave asyncpg's
    # release waiting for ever; with a timeout the pool terminates it (a transient failure).
    pool_timeout_seconds: float = 30.0


class IdempotentConsumer:
    def __init__(
        self,
        *,
        settings: ConsumerSettings,
        pool: asyncpg.Pool,
        consumer: AIOKafkaConsumer,
        dead_letter_producer: AIOKafkaProducer,
        catalog: EventCatalog,
        handlers: Mapping[str, Handler],
        on_progress: Callable[[], None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._consumer = consumer
        self._producer = dead_letter_producer
        self._catalog = catalog
        self._handlers = dict(handlers)
        self._on_progress = on_progress
        # Per partition, summed per topic for the ``consumer.lag`` gauge.
        self._lag: dict[TopicPartition, int] = {}

    @property
    def handled_types(self) -> list[str]:
        return sorted(self._handlers)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            batches = await self._consumer.getmany(timeout_ms=500, max_records=500)
            for partition, records in batches.items():
                finished = None
                for record in records:
                    if not await self.process(record, stop):
                        break  # stopped while retrying: this record and later ones come again
                    finished = record.offset
                    self._on_progress()
                if finished is not None and await self._commit(partition, finished + 1):
                    self._note_lag(partition, finished + 1)
                if stop.is_set():
                    return
            self._on_progress()

    async def _commit(self, partition: TopicPartition, offset: int) -> bool:
        """Commit, unless a rebalance gave the partition to another member meanwhile (a
        replica joined or left, the coordinator moved): then its new owner reads on from the
        last committed offset and the inbox absorbs what this member already applied. Raising
        here would end the process for a routine rebalance."""
        try:
            await self._consumer.commit({partition: offset})
            return True
        except (IllegalStateError, CommitFailedError) as exc:
            self._lag.pop(partition, None)
            self._report_lag(partition.topic)
            log.warning("not committing %s@%d: %s", partition, offset, exc)
            return False

    def _note_lag(self, partition: TopicPartition, position: int) -> None:
        """The partition's lag after a commit. A rebalance can take the partition away while
        the commit is in flight (aiokafka then asserts on its high watermark): its lag is no
        longer this member's to report."""
        if partition not in self._consumer.assignment():
            self._lag.pop(partition, None)
        else:
            highwater = self._consumer.highwater(partition)
            if highwater is None:
                return
            self._lag[partition] = max(highwater - position, 0)
        self._report_lag(partition.topic)

    def _report_lag(self, topic: str) -> None:
        lag = sum(behind for partition, behind in self._lag.items() if partition.topic == topic)
        metrics.set_consumer_lag(self._settings.name, topic, lag)

    async def process(self, record: ConsumerRecord, stop: asyncio.Event | None = None) -> bool:
        """Apply, skip or dead-letter one record; False if ``stop`` came while retrying."""
        metrics.record_received(self._settings.name, record.topic)
        headers = kafka_headers_to_dict(record.headers)
        with tracer.start_as_current_span(
            f"{record.topic} process",
            context=context_from_headers(headers),  # type: ignore[arg-type]
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.kafka.message.offset": record.offset,
                "messaging.consumer.group.name": self._settings.name,
            },
        ) as span:
            try:
                envelope, event = self._decode(record)
            except PoisonMessage as exc:
                await self._dead_letter(record, exc, attempts=1, reason="poison")
                return True
            span.set_attribute("messaging.message.id", envelope.id)
            handler = self._handlers.get(envelope.base_type)
            if handler is None:
                return True  # an event this consumer does not act on
            return await self._process_with_retries(
                record, envelope, event, handler, stop or asyncio.Event()
            )

    def _decode(self, record: ConsumerRecord) -> tuple[EventEnvelope, DomainEvent]:
        try:
            envelope = EventEnvelope.model_validate_json(record.value or b"")
        except ValidationError as exc:
            raise PoisonMessage(f"not a CloudEvents envelope: {exc}") from exc
        if envelope.base_type not in self._handlers:
            return envelope, None  # type: ignore[return-value]
        try:
            return envelope, self._catalog.parse(envelope)
        except UnknownEventType as exc:
            raise PoisonMessage(f"unknown event type {exc}") from exc
        except ValidationError as exc:
            raise PoisonMessage(f"invalid payload for {envelope.type}: {exc}") from exc

    async def _process_with_retries(
        self,
        record: ConsumerRecord,
        envelope: EventEnvelope,
        event: DomainEvent,
        handler: Handler,
        stop: asyncio.Event,
    ) -> bool:
        delay = self._settings.backoff_initial_seconds
        failed_attempts = 0  # of the kind that is neither transient nor poison
        while True:
            try:
                started = time.monotonic()
                applied = await self._apply_once(envelope, event, handler)
                metrics.record_handled(
                    self._settings.name,
                    envelope.base_type,
                    applied=applied,
                    seconds=time.monotonic() - started,
                )
                return True
            except Exception as exc:
                kind = classify(exc)
                if kind is Failure.POISON:
                    await self._dead_letter(
                        record, exc, attempts=failed_attempts + 1, reason="poison"
                    )
                    return True
                if kind is Failure.OTHER:
                    failed_attempts += 1
                    if failed_attempts >= self._settings.max_attempts:
                        await self._dead_letter(
                            record, exc, attempts=failed_attempts, reason="exhausted"
                        )
                        return True
                metrics.record_retried(self._settings.name, kind.value, exc)
                log.warning(
                    "handling %s (%s) failed (%s), retrying in %.1f s: %s: %s",
                    envelope.id,
                    envelope.type,
                    kind.value,
                    delay,
                    type(exc).__name__,
                    exc,
                )
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
                return False
            except TimeoutError:
                delay = min(delay * 2, self._settings.backoff_max_seconds)

    async def _apply_once(
        self, envelope: EventEnvelope, event: DomainEvent, handler: Handler
    ) -> bool:
        """True when applied now, False when the inbox already held the event."""
        async with (
            self._pool.acquire(timeout=self._settings.pool_timeout_seconds) as connection,
            connection.transaction(),
        ):
            claimed = await connection.fetchval(
                _CLAIM_INBOX, self._settings.name, envelope.source, envelope.id, envelope.type
            )
            if claimed is None:
                log.info("skipping %s: already processed by %s", envelope.id, self._settings.name)
                return False
            await handler(connection, event, envelope)
        return True

    async def _dead_letter(
        self, record: ConsumerRecord, error: BaseException, *, attempts: int, reason: str
    ) -> None:
        topic = dead_letter_topic(self._settings.topic_prefix, self._settings.name)
        error_text = "".join(traceback.format_exception_only(type(error), error)).strip()
        headers = [
            *(record.headers or ()),
            ("dlq.original.topic", record.topic.encode()),
            ("dlq.original.partition", str(record.partition).encode()),
            ("dlq.original.offset", str(record.offset).encode()),
            ("dlq.consumer", self._settings.name.encode()),
            ("dlq.attempts", str(attempts).encode()),
            ("dlq.error", error_text[:4000].encode("utf-8", "replace")),
        ]
        await self._producer.send_and_wait(
            topic, value=record.value, key=record.key, headers=headers
        )
        metrics.record_dead_lettered(self._settings.name, record.topic, reason)
        log.error(
            "dead-lettered %s/%d@%d after %d attempts: %s",
            record.topic,
            record.partition,
            record.offset,
            attempts,
            error_text,
        )
