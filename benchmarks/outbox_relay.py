"""Outbox relay throughput against a bare aiokafka producer, and latency at 1,000 events/s.

Baseline (issue "Foundation"): a bare aiokafka producer sending the same payloads to the same
broker with the same settings (acks=all, idempotent). Goals: relay/bare >= 0.8; p99 from
commit to publish <= 10 ms at 1,000 events/s.
"""

from __future__ import annotations

import asyncio
import resource
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka.partitioner import DefaultPartitioner

from benchmarks import results
from benchmarks.common import (
    delete_topics,
    drop_database,
    fresh_database,
    kafka_bootstrap,
    percentile,
)
from shared.db.pool import create_pool
from shared.events import EnterpriseRegistered
from shared.messaging.kafka import RELAY_LINGER_MS, create_producer
from shared.messaging.outbox import append_events
from shared.messaging.record_batches import CONTENT_TYPE
from shared.messaging.relay import OutboxRelay

EVENTS = 50_000
STEADY_RATE = 1_000  # events/s
STEADY_SECONDS = 10


def sample_event(n: int) -> EnterpriseRegistered:
    return EnterpriseRegistered(
        enterprise_id=str(uuid.uuid4()),
        credit_code="91310110666007217T",
        name=f"贵州某某电子商务有限公司 {n}",
        region_code="520102",
        kinds=["platform", "service"],
    )


async def fill_outbox(pool: asyncpg.Pool, count: int, topic_prefix: str) -> None:
    for start in range(0, count, 1000):
        async with pool.acquire() as connection, connection.transaction():
            await append_events(
                connection,
                [sample_event(n) for n in range(start, min(start + 1000, count))],
                source="/bench",
                topic_prefix=topic_prefix,
            )


async def bare_producer_rate(payloads: list[tuple[str, bytes, bytes]]) -> float:
    """The same messages (key, value and the structured-mode content-type) from a bare producer
    with the relay producer's settings."""
    producer = create_producer(kafka_bootstrap(), linger_ms=RELAY_LINGER_MS)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(
                topic, value=value, key=key, headers=[("content-type", CONTENT_TYPE)]
            )
            for topic, key, value in payloads
        ]
        await asyncio.gather(*futures)
        return len(payloads) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def bare_batch_rate(payloads: list[tuple[str, bytes, bytes]]) -> float:
    """The same messages from a bare producer that builds its record batches itself
    (``create_batch``/``send_batch``, the default partitioner on the key), as the relay does:
    for context, the fastest way aiokafka offers to send them."""
    producer = create_producer(kafka_bootstrap(), linger_ms=RELAY_LINGER_MS)
    await producer.start()
    partitioner = DefaultPartitioner()
    headers = [("content-type", CONTENT_TYPE)]
    try:
        started = time.perf_counter()
        partitions: dict[str, list[int]] = {}
        open_batches: dict[tuple[str, int], Any] = {}
        futures = []
        for topic, key, value in payloads:
            if topic not in partitions:
                partitions[topic] = sorted(await producer.partitions_for(topic))
            partition = partitioner(key, partitions[topic], partitions[topic])
            batch = open_batches.get((topic, partition))
            if batch is None:
                batch = open_batches[(topic, partition)] = producer.create_batch()
            if batch.append(timestamp=None, key=key, value=value, headers=headers) is None:
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch = open_batches[(topic, partition)] = producer.create_batch()
                batch.append(timestamp=None, key=key, value=value, headers=headers)
        for (topic, partition), batch in open_batches.items():
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*futures)
        return len(payloads) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def create_topics(topics: list[str]) -> None:
    """Each topic made (auto-created by a first record, its leader elected) before any side is
    timed: otherwise each side's first sends wait for it, a few hundred ms of retries
    (``NotLeaderForPartitionError``) that fall on one side or the other by chance."""
    producer = create_producer(kafka_bootstrap(), linger_ms=RELAY_LINGER_MS)
    await producer.start()
    try:
        for topic in topics:
            await producer.send_and_wait(topic, value=b"{}", key=b"warm-up")
    finally:
        await producer.stop()


async def relay_rate(pool: asyncpg.Pool, dsn: str) -> float:
    producer = create_producer(kafka_bootstrap(), linger_ms=RELAY_LINGER_MS)
    await producer.start()
    try:
        relay = OutboxRelay(pool=pool, producer=producer, dsn=dsn, batch_size=1000)
        await relay.open()
        started = time.perf_counter()
        sent = await relay.publish_available()
        return sent / (time.perf_counter() - started)
    finally:
        await relay.close()
        await producer.stop()


async def steady_latency(pool: asyncpg.Pool, dsn: str, topic_prefix: str) -> list[float]:
    producer = create_producer(kafka_bootstrap(), linger_ms=RELAY_LINGER_MS)
    await producer.start()
    stop = asyncio.Event()
    relay = OutboxRelay(pool=pool, producer=producer, dsn=dsn, poll_interval_seconds=1.0)
    # The relay as it runs for days, and as the throughput side has it: its lease session open
    # (LISTEN), its lanes taken and its producer knowing the topic's partitions before the
    # first event is written. Started with the first events, the relay's start (a connection,
    # the lanes, the topic's metadata: tens of ms, more under load) fell on the first of the
    # 10,000 events, and the slowest 1 % were mostly those.
    topics = [row["topic"] for row in await pool.fetch("SELECT DISTINCT topic FROM outbox")]
    await pool.execute("TRUNCATE outbox")
    await relay.open()
    await relay.take_free_lanes()
    for topic in topics:
        await producer.partitions_for(topic)
    relay_task = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0.2)  # its first round, over the empty outbox
    per_tick = 10
    ticks = STEADY_RATE * STEADY_SECONDS // per_tick
    loop = asyncio.get_running_loop()
    started = loop.time()
    for tick in range(ticks):
        async with pool.acquire() as connection, connection.transaction():
            await append_events(
                connection,
                [sample_event(tick * per_tick + n) for n in range(per_tick)],
                source="/bench",
                topic_prefix=topic_prefix,
            )
        await asyncio.sleep(max(0.0, started + (tick + 1) * per_tick / STEADY_RATE - loop.time()))
    while await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
        await asyncio.sleep(0.1)
    stop.set()
    await relay_task
    await producer.stop()
    rows = await pool.fetch(
        "SELECT extract(epoch FROM published_at - created_at) * 1000 AS ms FROM outbox"
    )
    return [float(row["ms"]) for row in rows]


async def main() -> None:
    dsn = await fresh_database("outbox", Path(tempfile.mkdtemp()))
    topic_prefix = f"bench{uuid.uuid4().hex[:6]}."
    pool = await create_pool(dsn, min_size=2, max_size=4)
    try:
        await fill_outbox(pool, EVENTS, topic_prefix)
        payloads = [
            (
                row["topic"].replace(topic_prefix, f"{topic_prefix}bare."),
                row["message_key"].encode(),
                row["payload"],
            )
            for row in await pool.fetch(
                "SELECT topic, message_key, payload FROM outbox ORDER BY id"
            )
        ]
        batched = [
            (topic.replace(f"{topic_prefix}bare.", f"{topic_prefix}barebatch."), key, value)
            for topic, key, value in payloads
        ]
        relay_topics = {
            row["topic"] for row in await pool.fetch("SELECT DISTINCT topic FROM outbox")
        }
        await create_topics(sorted({topic for topic, _, _ in payloads + batched} | relay_topics))
        bare = await bare_producer_rate(payloads)
        bare_batched = await bare_batch_rate(batched)
        cpu_started = time.process_time()
        relayed = await relay_rate(pool, dsn)
        relay_cpu = (time.process_time() - cpu_started) / EVENTS * 1000
        latencies = await steady_latency(pool, dsn, topic_prefix)
    finally:
        await pool.close()
        await drop_database(dsn)
        await delete_topics(topic_prefix)
    print(f"outbox relay: {EVENTS} events")
    print(f"  bare aiokafka producer : {bare:10.0f} events/s (baseline)")
    print(f"  outbox relay           : {relayed:10.0f} events/s")
    print(f"  ratio relay/bare       : {relayed / bare:10.2f}  (goal >= 0.8)")
    print(f"  bare, record batches   : {bare_batched:10.0f} events/s (context)")
    p99 = percentile(latencies, 0.99)
    print(
        f"  commit-to-publish at {STEADY_RATE}/s over {STEADY_SECONDS}s: "
        f"p50 {percentile(latencies, 0.5):.1f} ms, p99 {p99:.1f} ms "
        f"({len(latencies)} events; goal p99 <= 10 ms)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.record(
        "outbox_relay",
        "outbox relay / bare producer",
        ours=f"{relayed:.0f}/s",
        baseline=f"{bare:.0f}/s",
        ratio=relayed / bare,
        goal=">= 0.8",
        passed=relayed / bare >= 0.8,
        peak_mib=peak,
        cpu_ms=relay_cpu,
    )
    results.record(
        "outbox_relay",
        "  the same / bare producer building record batches",
        ours=f"{relayed:.0f}/s",
        baseline=f"{bare_batched:.0f}/s",
        ratio=relayed / bare_batched,
        goal="(context)",
        passed=None,
    )
    results.record(
        "outbox_relay",
        f"relay p99 commit→publish at {STEADY_RATE}/s",
        ours=f"{p99:.1f} ms",
        goal="<= 10 ms",
        passed=p99 <= 10,
    )
