"""What the relay sends is readable by the official CloudEvents SDK (Kafka protocol binding,
structured mode): every event of the catalogue, with the deployment's source and one trace
context in the envelope and the header."""

from __future__ import annotations

import asyncpg
from cloudevents.v1 import kafka as legacy_kafka
from opentelemetry import trace

from shared.events import ALL_EVENTS, default_catalog
from shared.events.envelope import EventEnvelope
from shared.messaging.kafka import create_producer
from shared.messaging.outbox import append_events
from shared.messaging.record_batches import CONTENT_TYPE
from shared.messaging.relay import OutboxRelay
from shared.settings import event_source_of
from tests.support.event_samples import sample_of
from tests.support.kafka import cloudevent_of, read_topic
from tests.support.stack import Stack

SOURCE = event_source_of("awards", "https://ecom.example.gov.cn/")


async def test_the_sdk_reads_every_catalogued_event_the_relay_sends(
    messaging_pool: asyncpg.Pool,
    messaging_db: str,
    stack: Stack,
    topic_prefix: str,
    span_exporter: object,
) -> None:
    prefix = f"{topic_prefix}binding."
    samples = [sample_of(event_class) for event_class in ALL_EVENTS]
    with trace.get_tracer("test").start_as_current_span("the writer") as writer:
        context = writer.get_span_context()
        writer_trace = f"00-{context.trace_id:032x}-{context.span_id:016x}-01"
        async with messaging_pool.acquire() as connection, connection.transaction():
            await append_events(connection, samples, source=SOURCE, topic_prefix=prefix)
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    try:
        assert await OutboxRelay(pool=messaging_pool, producer=producer, dsn=messaging_db).drain()
    finally:
        await producer.stop()

    records = []
    for topic in sorted({f"{prefix}{event.topic}" for event in samples}):
        expected = sum(f"{prefix}{event.topic}" == topic for event in samples)
        records += await read_topic(stack.kafka_bootstrap, topic, expected=expected)
    assert len(records) == len(samples)
    catalog = default_catalog()
    seen = set()
    for record in records:
        headers = dict(record.headers)
        assert headers["content-type"] == CONTENT_TYPE
        assert not [name for name in headers if name.lower().startswith("ce_")]
        event = cloudevent_of(record)  # auto-detected mode: must be structured
        attributes = event.get_attributes()
        assert attributes["specversion"] == "1.0"
        assert attributes["source"] == "https://ecom.example.gov.cn/awards"
        assert attributes["subject"] == record.key.decode()
        assert attributes["datacontenttype"] == "application/json"
        assert attributes["traceparent"] == headers["traceparent"].decode() == writer_trace
        # The legacy API reads it too, and the data is the catalogued payload.
        legacy = legacy_kafka.from_structured(
            legacy_kafka.KafkaMessage(headers=headers, key=record.key, value=record.value)
        )
        assert legacy["type"] == attributes["type"]
        envelope = EventEnvelope.model_validate_json(record.value)
        parsed = catalog.parse(envelope)
        assert parsed.model_dump(mode="json") == event.get_data()
        seen.add(attributes["type"])
    assert seen == {event_class.cloudevents_type() for event_class in ALL_EVENTS}
