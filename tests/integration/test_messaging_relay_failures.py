"""The relay under failure: a lost lock session, a failed batch, Kafka errors, and purging.

The producers here wrap a real aiokafka producer: they record what the relay sends, or make
one chosen send fail, which no real broker can be told to do on cue.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, KafkaTimeoutError

from shared.events import EnterpriseRegistered
from shared.messaging.outbox import append_events, lane_of
from shared.messaging.relay import OutboxRelay
from tests.support.kafka import envelope_of, read_topic
from tests.support.kafka_topics import delete_topics
from tests.support.polling import until
from tests.support.stack import Stack

TOPIC = "registry.enterprise"


def registered(enterprise_id: str, sequence: int) -> EnterpriseRegistered:
    return EnterpriseRegistered(
        enterprise_id=enterprise_id,
        credit_code="91310110666007217T",
        name=f"企业 {sequence}",
        region_code="520102",
    )


async def write_round(pool: asyncpg.Pool, keys: list[str], sequence: int, prefix: str) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await append_events(
            connection,
            [registered(key, sequence) for key in keys],
            source="/test",
            topic_prefix=prefix,
        )


class RecordingBatch:
    """A real record batch that remembers the keys and values added to it."""

    def __init__(self, builder: Any) -> None:
        self.builder = builder
        self.records: list[tuple[bytes, bytes]] = []

    def append(self, *, timestamp: Any, key: bytes, value: bytes, headers: Any) -> Any:
        added = self.builder.append(timestamp=timestamp, key=key, value=value, headers=headers)
        if added is not None:
            self.records.append((key, value))
        return added


class WrappedProducer:
    """Forwards to a real producer; ``before_send`` is called for each record sent, or each
    record of a batch handed over, and may record the send or replace its result (a replaced
    batch never reaches the broker: the whole batch is lost or failed, as a real one would
    be)."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        before_send: Callable[[str, bytes], Awaitable[asyncio.Future[Any] | None]],
    ) -> None:
        self._producer = producer
        self._before_send = before_send

    async def send(self, topic: str, *, value: bytes, key: bytes, headers: Any) -> Any:
        replaced = await self._before_send(key.decode(), value)
        if replaced is not None:
            return replaced
        return await self._producer.send(topic, value=value, key=key, headers=headers)

    async def partitions_for(self, topic: str) -> Any:
        return await self._producer.partitions_for(topic)

    def create_batch(self) -> RecordingBatch:
        return RecordingBatch(self._producer.create_batch())

    async def send_batch(self, batch: RecordingBatch, topic: str, *, partition: int) -> Any:
        replaced = None
        for key, value in batch.records:
            replaced = await self._before_send(key.decode(), value) or replaced
        if replaced is not None:
            return replaced
        return await self._producer.send_batch(batch.builder, topic, partition=partition)


@pytest.fixture(params=["records", "record batches"])
def sending(request: pytest.FixtureRequest) -> dict[str, int]:
    """Small claimed batches go record by record; larger ones as record batches built by the
    relay: these tests' batches are small, so the second case lowers the threshold."""
    if request.param == "record batches":
        return {"record_batches_from_rows": 1}
    return {}


@pytest.fixture(autouse=True)
async def delete_own_topics(topic_prefix: str, stack: Stack) -> AsyncIterator[None]:
    yield
    for own in ("lease.", "gap.", "kerr.", "purge."):
        await delete_topics(stack.kafka_bootstrap, f"{topic_prefix}{own}")


def sequences_by_key(records: list[Any]) -> dict[str, list[int]]:
    by_key: dict[str, list[int]] = defaultdict(list)
    for record in records:
        data = envelope_of(record)["data"]
        by_key[data["enterprise_id"]].append(int(data["name"].split()[-1]))
    return by_key


def first_seen(sequence: list[int]) -> list[int]:
    """The order in which a consumer with an inbox applies them: duplicates are dropped."""
    return list(dict.fromkeys(sequence))


async def unpublished(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def test_a_relay_that_loses_its_lock_session_stops_until_it_retakes_lanes(
    messaging_pool: asyncpg.Pool,
    messaging_db: str,
    stack: Stack,
    topic_prefix: str,
    producer: AIOKafkaProducer,
    sending: dict[str, int],
) -> None:
    prefix = f"{topic_prefix}lease."
    keys = [f"ent-{n}" for n in range(8)]
    loop = asyncio.get_running_loop()
    sends: list[tuple[str, int, float]] = []  # (relay, lane, when)

    def recording(name: str) -> WrappedProducer:
        async def record(key: str, _value: bytes) -> None:
            sends.append((name, lane_of(key), loop.time()))

        return WrappedProducer(producer, record)

    first = OutboxRelay(
        **sending,
        pool=messaging_pool,
        producer=recording("first"),  # type: ignore[arg-type]
        dsn=messaging_db,
        batch_size=5,
        poll_interval_seconds=0.05,
    )
    second = OutboxRelay(
        **sending,
        pool=messaging_pool,
        producer=recording("second"),  # type: ignore[arg-type]
        dsn=messaging_db,
        batch_size=5,
        poll_interval_seconds=0.05,
    )
    await first.open()
    assert len(await first.take_free_lanes()) == 16
    stop_writing, stop_relays = asyncio.Event(), asyncio.Event()
    written = 0

    async def writer() -> None:
        nonlocal written
        while not stop_writing.is_set():
            await write_round(messaging_pool, keys, written, prefix)
            written += 1
            with contextlib.suppress(TimeoutError):  # a round every 10 ms until told to stop
                await asyncio.wait_for(stop_writing.wait(), 0.01)

    tasks = [
        asyncio.create_task(writer()),
        asyncio.create_task(first.run(stop_relays)),
        asyncio.create_task(second.run(stop_relays)),
    ]
    try:

        async def sent_by(name: str, at_least: int) -> bool:
            for task in tasks:
                if task.done():
                    task.result()
            return sum(1 for relay, _, _ in sends if relay == name) >= at_least

        await until(
            lambda: sent_by("first", 40),
            seconds=30,
            interval=0.05,
            message="gave up waiting for the first relay to publish",
        )
        # Only the first relay's own lock session, in this test's own database.
        lease_pid = first.lease_pid
        assert lease_pid is not None
        await messaging_pool.execute("SELECT pg_terminate_backend($1)", lease_pid)
        await until(
            lambda: sent_by("second", 200),
            seconds=30,
            interval=0.05,
            message="gave up waiting for the second relay to take over",
        )
        stop_writing.set()
        await tasks[0]

        async def all_published() -> bool:
            return await unpublished(messaging_pool) == 0

        await until(
            all_published,
            seconds=30,
            interval=0.05,
            message="gave up waiting for the outbox to drain",
        )
    finally:
        stop_writing.set()
        stop_relays.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 15)

    # One publisher per lane: once the second relay sent in a lane, the first sent no more there.
    by_lane: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for relay, lane, when in sends:
        by_lane[lane].append((when, relay))
    for lane, lane_sends in by_lane.items():
        publishers = [relay for _, relay in sorted(lane_sends)]
        if "second" in publishers:
            handover = publishers.index("second")
            assert "first" not in publishers[handover:], f"lane {lane} had two publishers"

    records = await read_topic(
        stack.kafka_bootstrap, f"{prefix}{TOPIC}", expected=written * len(keys)
    )
    by_key = sequences_by_key(records)
    assert sorted(by_key) == keys
    for key, sequence in by_key.items():
        assert first_seen(sequence) == list(range(written)), f"order broken for {key}"


async def test_a_failed_batch_behind_a_delivered_later_batch_keeps_each_keys_order(
    messaging_pool: asyncpg.Pool,
    messaging_db: str,
    stack: Stack,
    topic_prefix: str,
    producer: AIOKafkaProducer,
    sending: dict[str, int],
) -> None:
    prefix = f"{topic_prefix}gap."
    keys = [f"ent-{n}" for n in range(4)]
    for sequence in range(10):
        await write_round(messaging_pool, keys, sequence, prefix)
    # Batches of 4 hold one event of each key; the record batch with the first event of batch
    # 2 is lost after a while, when batch 3 (with that key's next event) was long acknowledged.
    doomed = await messaging_pool.fetchval(
        "SELECT payload FROM outbox ORDER BY id OFFSET 4 LIMIT 1"
    )
    failed_once = False

    async def lose_one(_key: str, value: bytes) -> asyncio.Future[Any] | None:
        nonlocal failed_once
        if value != doomed or failed_once:
            return None
        failed_once = True
        lost: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(
            1.0, lost.set_exception, KafkaTimeoutError("batch expired")
        )
        return lost

    relay = OutboxRelay(
        **sending,
        pool=messaging_pool,
        producer=WrappedProducer(producer, lose_one),  # type: ignore[arg-type]
        dsn=messaging_db,
        batch_size=4,
        pipeline_depth=3,
    )
    for _ in range(3):
        try:
            await relay.drain()
        except KafkaError:
            continue
        if await unpublished(messaging_pool) == 0:
            break
    assert failed_once
    assert await unpublished(messaging_pool) == 0
    records = await read_topic(stack.kafka_bootstrap, f"{prefix}{TOPIC}", expected=40)
    for key, sequence in sequences_by_key(records).items():
        assert first_seen(sequence) == list(range(10)), f"order broken for {key}: {sequence}"


async def test_kafka_errors_do_not_end_the_relay_loop(
    messaging_pool: asyncpg.Pool,
    messaging_db: str,
    stack: Stack,
    topic_prefix: str,
    producer: AIOKafkaProducer,
    sending: dict[str, int],
) -> None:
    prefix = f"{topic_prefix}kerr."
    keys = ["ent-a", "ent-b"]
    for sequence in range(5):
        await write_round(messaging_pool, keys, sequence, prefix)
    failures = 0

    async def fail_three_times(_key: str, _value: bytes) -> None:
        nonlocal failures
        if failures < 3:
            failures += 1
            raise KafkaTimeoutError("no leader for the partition")

    relay = OutboxRelay(
        **sending,
        pool=messaging_pool,
        producer=WrappedProducer(producer, fail_three_times),  # type: ignore[arg-type]
        dsn=messaging_db,
        poll_interval_seconds=0.1,
        retry_initial_seconds=0.05,
        retry_max_seconds=0.2,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:

        async def drained() -> bool:
            if task.done():
                task.result()  # the loop ended: re-raise why
            return await unpublished(messaging_pool) == 0

        await until(
            drained,
            seconds=30,
            interval=0.05,
            message="gave up waiting for the relay to publish after Kafka errors",
        )
        assert failures == 3
        assert not task.done()
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 10)
    records = await read_topic(stack.kafka_bootstrap, f"{prefix}{TOPIC}", expected=10)
    for sequence in sequences_by_key(records).values():
        assert first_seen(sequence) == list(range(5))


async def test_the_relay_loop_purges_old_published_rows(
    messaging_pool: asyncpg.Pool, messaging_db: str, producer: AIOKafkaProducer, topic_prefix: str
) -> None:
    prefix = f"{topic_prefix}purge."
    for sequence in range(3):
        await write_round(messaging_pool, ["ent-p"], sequence, prefix)
    # Ages relative to the database's clock, the one the purge measures them by.
    now = await messaging_pool.fetchval("SELECT now()")
    ids = [r["id"] for r in await messaging_pool.fetch("SELECT id FROM outbox ORDER BY id")]
    # Old and published; recently published; not published at all.
    await messaging_pool.execute(
        "UPDATE outbox SET published_at = $2 WHERE id = $1", ids[0], now - dt.timedelta(days=8)
    )
    await messaging_pool.execute(
        "UPDATE outbox SET published_at = $2 WHERE id = $1", ids[1], now - dt.timedelta(hours=1)
    )
    relay = OutboxRelay(
        pool=messaging_pool,
        producer=producer,
        dsn=messaging_db,
        retention_days=7,
        purge_interval_seconds=0.2,
        max_lanes=0,  # publishes nothing: only the purge can change the table
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:

        async def purged() -> bool:
            if task.done():
                task.result()
            remaining = await messaging_pool.fetchval(
                "SELECT count(*) FROM outbox WHERE id = $1", ids[0]
            )
            return remaining == 0

        await until(
            purged,
            seconds=10,
            interval=0.05,
            message="gave up waiting for the old published row to be purged",
        )
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), 10)
    remaining = [r["id"] for r in await messaging_pool.fetch("SELECT id FROM outbox ORDER BY id")]
    assert remaining == ids[1:]
