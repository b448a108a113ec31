"""Reading what reached Kafka, for assertions."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka as cloudevents_kafka


async def read_topic(
    bootstrap: str, topic: str, *, expected: int, timeout_seconds: float = 30
) -> list[ConsumerRecord]:
    """Read from the start until ``expected`` records arrived or the time is up."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        metadata_max_age_ms=500,  # the topic may be created while we wait
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_seconds
        while len(records) < expected and loop.time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for partition_records in batches.values():
                records.extend(partition_records)
    finally:
        await consumer.stop()
    return records


def cloudevent_of(record: ConsumerRecord) -> BaseCloudEvent:
    """The record as the official CloudEvents SDK reads a Kafka message (mode detected from
    the headers, as an outside system would)."""
    message = cloudevents_kafka.KafkaMessage(
        headers={name: value for name, value in record.headers or ()},
        key=record.key,
        value=record.value or b"",
    )
    return cloudevents_kafka.from_kafka_event(message)


def envelope_of(record: ConsumerRecord) -> dict[str, Any]:
    """The envelope as JSON, once the CloudEvents SDK has read the record: every test that
    reads published events checks the Kafka binding on the way."""
    cloudevent_of(record)
    value: dict[str, Any] = json.loads(record.value or b"{}")
    return value


async def delete_topics_with_prefix(bootstrap: str, prefix: str) -> list[str]:
    """Delete every topic the run created (they all start with its prefix); returns them."""
    if not prefix:
        raise ValueError("refusing to delete every topic: the prefix is empty")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    try:
        topics = sorted(topic for topic in await admin.list_topics() if topic.startswith(prefix))
        if topics:
            await admin.delete_topics(topics)
        return topics
    finally:
        await admin.close()


async def committed_past(
    bootstrap: str, group: str, topic: str, partition: int, offset: int
) -> bool:
    """Whether consumer ``group`` has committed past ``offset`` of ``topic``/``partition``: the
    record there, and every one before it, has been handled (a redelivery included)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    committed = next(
        (
            meta.offset
            for tp, meta in offsets.items()
            if (tp.topic, tp.partition) == (topic, partition)
        ),
        -1,
    )
    return committed > offset
