"""Records of outbox rows as the relay hands them to Kafka: the CloudEvents headers, and one
claimed batch's rows as record batches per partition (``RecordBatches``)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from shared.telemetry import context_from_headers

# Publish spans keep the relay's instrumentation scope.
tracer = trace.get_tracer("shared.messaging.relay")

CONTENT_TYPE = b"application/cloudevents+json; charset=utf-8"


def kafka_headers(traceparent: str | None, tracestate: str | None) -> list[tuple[str, bytes]]:
    """The headers of a structured-mode CloudEvent (CloudEvents Kafka protocol binding 1.0).

    Structured mode only: the whole envelope is the value and ``content-type`` says so. No
    ``ce_`` header: a reader such as the CloudEvents SDK's ``from_kafka`` takes any ``ce_``
    header for binary mode and then looks for every attribute in headers. Consumers route on
    the envelope's ``type``. ``traceparent``/``tracestate`` are W3C trace context headers (not
    CloudEvents attributes) and carry the same values as the envelope's.
    """
    headers = [("content-type", CONTENT_TYPE)]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
        if tracestate:
            headers.append(("tracestate", tracestate.encode()))
    return headers


class _RecordBatch:
    """A record batch of one partition, open while rows are added, then handed over."""

    __slots__ = ("acknowledgement", "builder", "partition", "topic")

    def __init__(self, topic: str, partition: int, builder: Any) -> None:
        self.topic = topic
        self.partition = partition
        self.builder = builder  # aiokafka's BatchBuilder; None for a record sent alone
        self.acknowledgement: asyncio.Future[object] | None = None


class RecordBatches:
    """One round's rows as record batches, one open per partition, handed to the producer
    whole (``send_batch``) at the end of each claimed batch; or, for small claimed batches,
    as records sent one by one (``send``).

    The records are those ``send`` would make (key, value, headers; the producer's default
    partitioner on the key; the timestamp taken when the record is added), without ``send``'s
    per-record path (metadata wait, partition lookup and buffer per record), which was most of
    the relay's own CPU per event. A record batch holds rows of one claimed batch only, so the
    claimed batch is marked once its record batches are acknowledged.

    Per-key order: a record batch is written to its partition whole or not at all, so events
    of a key may share one; an event whose key's previous event is in another record batch is
    added only once that one is acknowledged (a lost batch is never overtaken by a later
    event of its key that is delivered).
    """

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._partitions: dict[str, list[int]] = {}
        self._open: dict[tuple[str, int], _RecordBatch] = {}
        self._latest_of_key: dict[str, _RecordBatch] = {}
        self._handed_over: list[asyncio.Future[object]] = []

    async def add(self, row: asyncpg.Record) -> None:
        topic: str = row["topic"]
        key: str = row["message_key"]
        key_bytes = key.encode()
        partitions = self._partitions.get(topic)
        if partitions is None:
            # The producer's partitioner takes the partitions sorted by id.
            partitions = sorted(await self._producer.partitions_for(topic))
            self._partitions[topic] = partitions
        partition: int = _PARTITIONER(key_bytes, partitions, partitions)
        target = self._open.get((topic, partition))
        previous = self._latest_of_key.get(key)
        if previous is not None and previous is not target:
            await self._acknowledged(previous)
        if target is None:
            target = self._open_batch(topic, partition)
        traceparent = row["traceparent"]
        headers = kafka_headers(traceparent, row["tracestate"]) if traceparent else _PLAIN_HEADERS
        value: bytes = row["payload"]
        if (
            target.builder.append(timestamp=None, key=key_bytes, value=value, headers=headers)
            is None
        ):
            await self._hand_over(target)  # full: the record starts the partition's next batch
            target = self._open_batch(topic, partition)
            # An empty batch takes any record; one too large for the broker fails its batch.
            target.builder.append(timestamp=None, key=key_bytes, value=value, headers=headers)
        self._latest_of_key[key] = target

    async def send(self, row: asyncpg.Record) -> None:
        """The row as a record of its own (``send``), after its key's previous event is
        acknowledged."""
        topic: str = row["topic"]
        key: str = row["message_key"]
        previous = self._latest_of_key.get(key)
        if previous is not None:
            await self._acknowledged(previous)
        traceparent = row["traceparent"]
        headers = kafka_headers(traceparent, row["tracestate"]) if traceparent else _PLAIN_HEADERS
        sent = _RecordBatch(topic, -1, None)  # the producer picks the partition
        sent.acknowledgement = await self._producer.send(
            topic, value=row["payload"], key=key.encode(), headers=headers
        )
        self._handed_over.append(sent.acknowledgement)
        self._latest_of_key[key] = sent

    async def hand_over_all(self) -> list[asyncio.Future[object]]:
        """Hand every open batch to the producer; returns the acknowledgements of every batch
        handed over since the last call (the rows added since then)."""
        for batch in list(self._open.values()):
            await self._hand_over(batch)
        handed_over, self._handed_over = self._handed_over, []
        return handed_over

    def _open_batch(self, topic: str, partition: int) -> _RecordBatch:
        batch = _RecordBatch(topic, partition, self._producer.create_batch())
        self._open[(topic, partition)] = batch
        return batch

    async def _hand_over(self, batch: _RecordBatch) -> None:
        del self._open[(batch.topic, batch.partition)]
        acknowledgement: asyncio.Future[object] = await self._producer.send_batch(
            batch.builder, batch.topic, partition=batch.partition
        )
        batch.acknowledgement = acknowledgement
        self._handed_over.append(acknowledgement)

    async def _acknowledged(self, batch: _RecordBatch) -> None:
        """Wait for the acknowledgement of a batch (handing it over first if still open);
        raise if it failed."""
        if batch.acknowledgement is None:
            await self._hand_over(batch)
        acknowledgement = batch.acknowledgement
        if acknowledgement is None:  # set by _hand_over
            raise RuntimeError("a record batch handed over without its acknowledgement")
        if not acknowledgement.done():
            # Not ``await acknowledgement``: a cancel must not cancel it.
            await asyncio.wait([acknowledgement])
        acknowledgement.result()


def trace_publish(row: asyncpg.Record) -> None:
    """A producer span in the trace of the request that wrote the event.

    The message itself keeps the writer's context (the envelope's ``traceparent``, and the
    header, which must agree with it): the event was created there, and the CloudEvents
    tracing extension is not to be rewritten on the way. So consumers' spans are children
    of the writer's span, siblings of this one.
    """
    carrier = {"traceparent": row["traceparent"]}
    if row["tracestate"]:
        carrier["tracestate"] = row["tracestate"]
    span = tracer.start_span(
        f"{row['topic']} publish",
        context=context_from_headers(carrier),  # type: ignore[arg-type]
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "kafka", "messaging.destination.name": row["topic"]},
    )
    span.end()


_PARTITIONER = DefaultPartitioner()
# The headers of an event without trace context, shared by its records (never changed).
_PLAIN_HEADERS = kafka_headers(None, None)
