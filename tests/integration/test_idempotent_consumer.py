"""The idempotent consumer, retries, the dead-letter topic and its replay, on real Kafka."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, cast

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import CommitFailedError, IllegalStateError

from shared.events import EnterpriseRegistered, EventEnvelope, default_catalog, wrap
from shared.events.envelope import DomainEvent
from shared.messaging.consumer import ConsumerSettings, IdempotentConsumer, dead_letter_topic
from shared.messaging.dlq import replay_dead_letters
from shared.messaging.kafka import create_consumer
from tests.support.kafka import read_topic
from tests.support.polling import eventually
from tests.support.stack import Stack

TOPIC = "registry.enterprise"


def envelope_bytes(enterprise_id: str) -> tuple[str, bytes]:
    envelope = wrap(
        EnterpriseRegistered(
            enterprise_id=enterprise_id,
            credit_code="91310110666007217T",
            name="测试企业",
            region_code="520102",
        ),
        source="/test",
    )
    return envelope.id, envelope.model_dump_json().encode()


async def consumed(stack: Stack, group: str, messages: int) -> bool:
    """Whether the consumer group has committed offsets past ``messages`` records in all: a
    redelivery is then known to have been read, not only the first delivery."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(max(meta.offset, 0) for meta in offsets.values()) >= messages


class CommitsRefused:
    """The real consumer, as a rebalance leaves it: its next commits fail as aiokafka fails them
    when the partition went to another member between the fetch and the commit; then, with
    ``revoke_after_commit``, the partition goes away while a commit that succeeded is in flight
    (unassigned until the next fetch: aiokafka asserts on its high watermark)."""

    def __init__(
        self, consumer: AIOKafkaConsumer, errors: list[Exception], revoke_after_commit: list[bool]
    ) -> None:
        self._consumer = consumer
        self._errors = errors
        self._revoke_after_commit = revoke_after_commit
        self._revoked = False

    async def commit(self, offsets: Any = None) -> None:
        if self._errors:
            raise self._errors.pop(0)
        await self._consumer.commit(offsets)
        if self._revoke_after_commit:
            self._revoked = self._revoke_after_commit.pop(0)

    async def getmany(self, *partitions: Any, **options: Any) -> Any:
        self._revoked = False  # the next rebalance gave it back
        return await self._consumer.getmany(*partitions, **options)

    def assignment(self) -> Any:
        return set() if self._revoked else self._consumer.assignment()

    def highwater(self, partition: Any) -> Any:
        assert not self._revoked, "Partition is not assigned"  # as aiokafka's own
        return self._consumer.highwater(partition)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._consumer, name)


async def run_consumer_until(
    *,
    stack: Stack,
    pool: asyncpg.Pool,
    prefix: str,
    name: str,
    handler,
    producer: AIOKafkaProducer,
    done,
    timeout: float = 30,
    max_attempts: int = 3,
    refused_commits: list[Exception] | None = None,
    revoke_after_commit: list[bool] | None = None,
) -> None:
    kafka_consumer = create_consumer(
        f"{prefix}{TOPIC}", bootstrap_servers=stack.kafka_bootstrap, group_id=f"{prefix}{name}"
    )
    await kafka_consumer.start()
    consumer = IdempotentConsumer(
        settings=ConsumerSettings(
            name=name, topic_prefix=prefix, max_attempts=max_attempts, backoff_initial_seconds=0.01
        ),
        pool=pool,
        consumer=cast(
            AIOKafkaConsumer,
            CommitsRefused(kafka_consumer, refused_commits or [], revoke_after_commit or []),
        ),
        dead_letter_producer=producer,
        catalog=default_catalog(),
        handlers={EnterpriseRegistered.event_type: handler},
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await eventually(done, bool, seconds=timeout, interval=0.2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await kafka_consumer.stop()


async def test_a_redelivered_event_takes_effect_once(
    messaging_pool: asyncpg.Pool, stack: Stack, topic_prefix: str, producer: AIOKafkaProducer
) -> None:
    prefix = f"{topic_prefix}c1."
    await messaging_pool.execute("CREATE TABLE effects (event_id text, enterprise_id text)")
    event_id, value = envelope_bytes("ent-1")
    for _ in range(3):  # the same event, delivered three times
        await producer.send_and_wait(f"{prefix}{TOPIC}", value=value, key=b"ent-1")

    async def handler(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, EnterpriseRegistered)
        await connection.execute(
            "INSERT INTO effects VALUES ($1, $2)", envelope.id, event.enterprise_id
        )

    async def done() -> bool:  # all three deliveries consumed, not only the first
        return await messaging_pool.fetchval("SELECT count(*) FROM inbox") >= 1 and await consumed(
            stack, f"{prefix}c1", 3
        )

    await run_consumer_until(
        stack=stack,
        pool=messaging_pool,
        prefix=prefix,
        name="c1",
        handler=handler,
        producer=producer,
        done=done,
    )
    assert await messaging_pool.fetch("SELECT * FROM effects") == [(event_id, "ent-1")]


async def test_a_failing_event_is_dead_lettered_and_the_partition_moves_on(
    messaging_pool: asyncpg.Pool, stack: Stack, topic_prefix: str, producer: AIOKafkaProducer
) -> None:
    prefix = f"{topic_prefix}c2."
    await messaging_pool.execute("CREATE TABLE effects (enterprise_id text)")
    _, bad = envelope_bytes("ent-bad")
    _, good = envelope_bytes("ent-good")
    # Both keys on one partition, so "moves on" is observable.
    await producer.send_and_wait(f"{prefix}{TOPIC}", value=bad, key=b"same", partition=0)
    await producer.send_and_wait(
        f"{prefix}{TOPIC}", value=b"not json at all", key=b"same", partition=0
    )
    await producer.send_and_wait(f"{prefix}{TOPIC}", value=good, key=b"same", partition=0)
    attempts: list[str] = []

    async def handler(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, EnterpriseRegistered)
        attempts.append(event.enterprise_id)
        await connection.execute("INSERT INTO effects VALUES ($1)", event.enterprise_id)
        if event.enterprise_id == "ent-bad":
            raise ValueError("the finance system rejected the enterprise")

    async def done() -> bool:
        return bool(await messaging_pool.fetchval("SELECT count(*) FROM effects"))

    await run_consumer_until(
        stack=stack,
        pool=messaging_pool,
        prefix=prefix,
        name="c2",
        handler=handler,
        producer=producer,
        done=done,
    )
    assert attempts.count("ent-bad") == 3
    # The failed attempts rolled back their effect and their inbox row.
    assert [r["enterprise_id"] for r in await messaging_pool.fetch("SELECT * FROM effects")] == [
        "ent-good"
    ]
    dead = await read_topic(stack.kafka_bootstrap, dead_letter_topic(prefix, "c2"), expected=2)
    assert len(dead) == 2
    headers = [dict(record.headers) for record in dead]
    assert b"the finance system rejected the enterprise" in headers[0]["dlq.error"]
    assert headers[0]["dlq.attempts"] == b"3"
    assert headers[0]["dlq.original.topic"] == f"{prefix}{TOPIC}".encode()
    assert b"not a CloudEvents envelope" in headers[1]["dlq.error"]
    assert headers[1]["dlq.attempts"] == b"1"

    # Replay: the dead letters go back to their topic; a fixed handler then processes them.
    replayed = await replay_dead_letters(
        bootstrap_servers=stack.kafka_bootstrap,
        dead_letter_topic=dead_letter_topic(prefix, "c2"),
        group_id=f"{prefix}c2-replay",
        idle_timeout_seconds=2,
    )
    assert replayed == 2
    again = await read_topic(stack.kafka_bootstrap, f"{prefix}{TOPIC}", expected=5)
    assert len(again) == 5
    replays = [r for r in again if (r.key == b"same" and r.partition != 0) or r.offset >= 3]
    assert len(replays) == 2
    assert all(not key.startswith("dlq.") for record in replays for key, _ in record.headers)
    assert sorted(record.value[:1] for record in replays) == [b"n", b"{"]


async def test_processing_survives_a_consumer_restart_without_duplicates(
    messaging_pool: asyncpg.Pool, stack: Stack, topic_prefix: str, producer: AIOKafkaProducer
) -> None:
    """Offsets are committed after the transaction; a restarted consumer re-reads nothing twice."""
    prefix = f"{topic_prefix}c3."
    await messaging_pool.execute("CREATE TABLE effects (enterprise_id text)")
    ids = [f"ent-{uuid.uuid4().hex[:6]}" for _ in range(20)]
    for enterprise_id in ids:
        await producer.send(
            f"{prefix}{TOPIC}", value=envelope_bytes(enterprise_id)[1], key=enterprise_id.encode()
        )
    await producer.flush()

    async def handler(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, EnterpriseRegistered)
        await connection.execute("INSERT INTO effects VALUES ($1)", event.enterprise_id)

    async def ten() -> bool:
        return await messaging_pool.fetchval("SELECT count(*) FROM effects") >= 10

    async def all_of_them() -> bool:
        count = await messaging_pool.fetchval("SELECT count(*) FROM effects")
        return count >= 20 and await consumed(stack, f"{prefix}c3", 20)

    for done in (ten, all_of_them):
        await run_consumer_until(
            stack=stack,
            pool=messaging_pool,
            prefix=prefix,
            name="c3",
            handler=handler,
            producer=producer,
            done=done,
        )
    rows = [r["enterprise_id"] for r in await messaging_pool.fetch("SELECT * FROM effects")]
    assert sorted(rows) == sorted(ids)


async def test_a_rebalance_during_a_commit_neither_ends_the_consumer_nor_applies_twice(
    messaging_pool: asyncpg.Pool, stack: Stack, topic_prefix: str, producer: AIOKafkaProducer
) -> None:
    """A replica joining or leaving moves partitions between the fetch and the commit; aiokafka
    then refuses the commit (IllegalStateError for a partition no longer assigned,
    CommitFailedError for a generation that moved on), or the commit goes through and the
    partition is gone when it returns. The consumer goes on reading, and the member that now
    owns the partition reads on from the last committed offset: the inbox absorbs what was
    applied already."""
    prefix = f"{topic_prefix}c4."
    await messaging_pool.execute("CREATE TABLE effects (enterprise_id text)")
    ids = [f"ent-{uuid.uuid4().hex[:6]}" for _ in range(6)]

    async def handler(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, EnterpriseRegistered)
        await connection.execute("INSERT INTO effects VALUES ($1)", event.enterprise_id)

    async def send(batch: list[str]) -> None:
        for enterprise_id in batch:  # one partition: every batch ends in a commit of it
            value = envelope_bytes(enterprise_id)[1]
            await producer.send(f"{prefix}{TOPIC}", value=value, key=b"same", partition=0)
        await producer.flush()

    async def applied(count: int) -> bool:
        return await messaging_pool.fetchval("SELECT count(*) FROM effects") >= count

    refused: list[Exception] = [
        IllegalStateError("Partition TopicPartition(partition=0) is not assigned"),
        CommitFailedError("the group has already rebalanced and assigned the partitions"),
    ]
    revoked = [True]
    await send(ids[:2])
    batches = [ids[2:4], ids[4:]]  # each after the previous one's commit was refused or lost

    async def all_applied() -> bool:
        if batches and await applied(len(ids) - sum(map(len, batches))):
            await send(batches.pop(0))
        return not batches and await applied(6) and not refused and not revoked

    await run_consumer_until(
        stack=stack,
        pool=messaging_pool,
        prefix=prefix,
        name="c4",
        handler=handler,
        producer=producer,
        done=all_applied,
        refused_commits=refused,
        revoke_after_commit=revoked,
    )
    # The partition's next owner: everything after the last commit that went through comes
    # again and is skipped.
    await run_consumer_until(
        stack=stack,
        pool=messaging_pool,
        prefix=prefix,
        name="c4",
        handler=handler,
        producer=producer,
        done=lambda: consumed(stack, f"{prefix}c4", 6),
    )
    rows = [r["enterprise_id"] for r in await messaging_pool.fetch("SELECT * FROM effects")]
    assert sorted(rows) == sorted(ids)
    assert await messaging_pool.fetchval("SELECT count(*) FROM inbox") == 6
