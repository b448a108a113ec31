"""Re-feeding dead letters: each goes back to its original topic, with its original key.

Consumers are idempotent, so a re-fed event that another consumer group already processed is
skipped there; the consumer that dead-lettered it processes it again.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared import metrics
from shared.messaging.kafka import PLAINTEXT, KafkaSecurity

log = logging.getLogger(__name__)


async def replay_dead_letters(
    *,
    bootstrap_servers: str,
    dead_letter_topic: str,
    group_id: str,
    idle_timeout_seconds: float = 5.0,
    security: KafkaSecurity = PLAINTEXT,
) -> int:
    """Re-publish every dead letter not yet replayed by ``group_id``; returns how many."""
    consumer = AIOKafkaConsumer(
        dead_letter_topic,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **security.client_options(),
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        **security.client_options(),
    )
    await consumer.start()
    await producer.start()
    replayed = 0
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=int(idle_timeout_seconds * 1000))
            if not batches:
                return replayed
            for partition, records in batches.items():
                for record in records:
                    headers = dict(record.headers or ())
                    original = headers.get("dlq.original.topic")
                    if original is None:
                        log.warning("dead letter at offset %d has no original topic", record.offset)
                        continue
                    kept = [(k, v) for k, v in record.headers or () if not k.startswith("dlq.")]
                    await producer.send_and_wait(
                        original.decode(), value=record.value, key=record.key, headers=kept
                    )
                    replayed += 1
                    metrics.record_replayed(dead_letter_topic)
                await consumer.commit(
                    {TopicPartition(partition.topic, partition.partition): records[-1].offset + 1}
                )
    finally:
        await consumer.stop()
        await producer.stop()


def run(
    bootstrap_servers: str,
    dead_letter_topic: str,
    group_id: str,
    security: KafkaSecurity = PLAINTEXT,
) -> int:
    return asyncio.run(
        replay_dead_letters(
            bootstrap_servers=bootstrap_servers,
            dead_letter_topic=dead_letter_topic,
            group_id=group_id,
            security=security,
        )
    )
