"""What the Kafka cluster holds, read as any client reads it: topics, records, consumer groups'
committed offsets, replicas in sync."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class GroupProgress:
    group: str
    topic: str
    committed: int  # summed over partitions
    end: int

    @property
    def lag(self) -> int:
        return self.end - self.committed


async def _admin(bootstrap: str) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    await admin.start()
    return admin


async def topic_names(bootstrap: str) -> list[str]:
    admin = await _admin(bootstrap)
    try:
        return sorted(t for t in await admin.list_topics() if not t.startswith("__"))
    finally:
        await admin.close()


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    topics = list(topics)
    if not topics:
        return {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if any(not consumer.partitions_for_topic(t) for t in topics):
            await consumer._client.force_metadata_update()  # a topic created a moment ago
            partitions = [
                TopicPartition(topic, p)
                for topic in topics
                for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
        return dict(await consumer.end_offsets(partitions)) if partitions else {}
    finally:
        await consumer.stop()


async def group_progress(bootstrap: str) -> list[GroupProgress]:
    """Every consumer group's committed offsets, per topic it has committed on."""
    admin = await _admin(bootstrap)
    try:
        groups = [
            g[0] if isinstance(g, tuple) else g.group_id for g in await admin.list_consumer_groups()
        ]
        committed: dict[tuple[str, str], int] = {}
        for group in groups:
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
                key = (group, tp.topic)
                committed[key] = committed.get(key, 0) + max(meta.offset, 0)
    finally:
        await admin.close()
    ends = await end_offsets(bootstrap, sorted({topic for _, topic in committed}))
    by_topic: dict[str, int] = {}
    for tp, offset in ends.items():
        by_topic[tp.topic] = by_topic.get(tp.topic, 0) + offset
    return [
        GroupProgress(group, topic, offset, by_topic.get(topic, 0))
        for (group, topic), offset in sorted(committed.items())
    ]


async def read_all(bootstrap: str, topics: Iterable[str]) -> dict[str, list[ConsumerRecord]]:
    """Every record of the topics, from the start to their end offsets at the call."""
    wanted = sorted(topics)
    ends = {tp: end for tp, end in (await end_offsets(bootstrap, wanted)).items() if end > 0}
    records: dict[str, list[ConsumerRecord]] = {topic: [] for topic in wanted}
    if not ends:
        return records
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        remaining = set(ends)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 300
        while remaining:
            if loop.time() > deadline:
                raise TimeoutError(f"reading {sorted(map(str, remaining))} took too long")
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for tp, batch in batches.items():
                records[tp.topic].extend(r for r in batch if r.offset < ends[tp])
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return records


async def under_replicated(bootstrap: str, topics: Iterable[str]) -> list[str]:
    """Partitions whose in-sync replicas are fewer than their replicas."""
    admin = await _admin(bootstrap)
    try:
        described = await admin.describe_topics(sorted(topics))
    finally:
        await admin.close()
    short = []
    for topic in described:
        for partition in topic["partitions"]:
            if len(partition["isr"]) < len(partition["replicas"]):
                short.append(f"{topic['topic']}/{partition['partition']}")
    return short
