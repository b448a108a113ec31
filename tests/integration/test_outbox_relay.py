"""The transactional outbox and its relay against real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from opentelemetry import trace

from shared.events import EnterpriseRegistered
from shared.messaging.kafka import create_producer
from shared.messaging.lanes import CLAIM_LOCK_CLASS
from shared.messaging.outbox import append_events
from shared.messaging.record_batches import CONTENT_TYPE
from shared.messaging.relay import OutboxRelay
from tests.support.kafka import envelope_of, read_topic
from tests.support.polling import until
from tests.support.stack import Stack


def registered(enterprise_id: str, sequence: int) -> EnterpriseRegistered:
    return EnterpriseRegistered(
        enterprise_id=enterprise_id,
        credit_code="91310110666007217T",
        name=f"企业 {sequence}",
        region_code="520102",
    )


async def test_rolled_back_state_change_leaves_no_event(messaging_pool: asyncpg.Pool) -> None:
    with pytest.raises(RuntimeError):
        async with messaging_pool.acquire() as connection, connection.transaction():
            await append_events(connection, [registered("e-1", 1)], source="/test")
            raise RuntimeError("the state change failed")
    assert await messaging_pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_append_outside_a_transaction_is_refused(messaging_pool: asyncpg.Pool) -> None:
    async with messaging_pool.acquire() as connection:
        with pytest.raises(RuntimeError, match="transaction"):
            await append_events(connection, [registered("e-1", 1)], source="/test")


async def test_relay_publishes_cloudevents_keyed_by_aggregate(
    messaging_pool: asyncpg.Pool,
    stack: Stack,
    topic_prefix: str,
    messaging_db: str,
    span_exporter: object,
) -> None:
    prefix = f"{topic_prefix}relay1."
    with trace.get_tracer("test").start_as_current_span("POST /v1/enterprises") as request_span:
        trace_id = format(request_span.get_span_context().trace_id, "032x")
        span_id = format(request_span.get_span_context().span_id, "016x")
        async with messaging_pool.acquire() as connection, connection.transaction():
            ids = await append_events(
                connection,
                [registered("ent-a", 1), registered("ent-a", 2)],
                source="/test",
                topic_prefix=prefix,
            )
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    try:
        relay = OutboxRelay(pool=messaging_pool, producer=producer, dsn=messaging_db)
        assert await relay.drain() == 2
    finally:
        await producer.stop()
    records = await read_topic(stack.kafka_bootstrap, f"{prefix}registry.enterprise", expected=2)
    assert [envelope_of(r)["id"] for r in records] == ids
    first = envelope_of(records[0])
    assert first["specversion"] == "1.0"
    assert first["type"] == "registry.enterprise.registered.v1"
    assert first["source"] == "/test"
    assert first["subject"] == "ent-a"
    assert first["data"]["name"] == "企业 1"
    assert records[0].key == b"ent-a"
    headers = dict(records[0].headers)
    # Structured mode (CloudEvents Kafka binding): content-type says so, no ce_ header.
    assert headers["content-type"] == b"application/cloudevents+json; charset=utf-8"
    assert not [name for name in headers if name.startswith("ce_")]
    # The writer's trace context, the same in the header and in the envelope.
    assert headers["traceparent"].decode() == first["traceparent"]
    assert first["traceparent"].split("-")[1:3] == [trace_id, span_id]
    unpublished = await messaging_pool.fetchval(
        "SELECT count(*) FROM outbox WHERE published_at IS NULL"
    )
    assert unpublished == 0


async def test_relay_records_are_the_ones_send_would_make(
    messaging_pool: asyncpg.Pool,
    messaging_db: str,
    stack: Stack,
    topic_prefix: str,
) -> None:
    """The relay builds record batches itself: each record goes to the partition the
    producer's ``send`` would pick for its key, with the outbox's bytes as its value and the
    structured-mode header; small record batches that fill up (a key's events in one, or in
    the next once the first is acknowledged) keep each key's order."""
    prefix = f"{topic_prefix}relay5."
    topic = f"{prefix}registry.enterprise"
    keys = [f"ent-{n}" for n in range(40)]
    for sequence in range(5):
        async with messaging_pool.acquire() as connection, connection.transaction():
            await append_events(
                connection,
                [registered(key, sequence) for key in keys],
                source="/test",
                topic_prefix=prefix,
            )
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=0,
        max_batch_size=2048,  # a few records each: batches fill up within a claimed batch
    )
    await producer.start()
    try:
        # Record batches for every claimed batch, however small (not only from 64 rows).
        relay = OutboxRelay(
            pool=messaging_pool,
            producer=producer,
            dsn=messaging_db,
            batch_size=60,
            record_batches_from_rows=1,
        )
        assert await relay.drain() == 200
        partition_of = {
            key: producer._partition(topic, None, None, None, key.encode(), None) for key in keys
        }
    finally:
        await producer.stop()
    rows = await messaging_pool.fetch("SELECT message_key, payload FROM outbox ORDER BY id")
    records = await read_topic(stack.kafka_bootstrap, topic, expected=200)
    assert sorted((record.key, record.value) for record in records) == sorted(
        (row["message_key"].encode(), row["payload"]) for row in rows
    )
    values_of_key: dict[bytes, list[bytes]] = defaultdict(list)
    for record in sorted(records, key=lambda record: (record.partition, record.offset)):
        assert record.partition == partition_of[record.key.decode()]
        assert list(record.headers) == [("content-type", CONTENT_TYPE)]
        values_of_key[record.key].append(record.value)
    for row in rows:
        assert values_of_key[row["message_key"].encode()].pop(0) == row["payload"]


async def test_several_relays_share_lanes_and_keep_each_entitys_order(
    messaging_pool: asyncpg.Pool, messaging_db: str, stack: Stack, topic_prefix: str
) -> None:
    prefix = f"{topic_prefix}relay2."
    keys = [f"ent-{n}" for n in range(7)]
    for batch in range(30):
        async with messaging_pool.acquire() as connection, connection.transaction():
            await append_events(
                connection,
                [registered(key, batch * 10 + n) for n, key in enumerate(keys)],
                source="/test",
                topic_prefix=prefix,
            )
    producers = [create_producer(stack.kafka_bootstrap) for _ in range(3)]
    for producer in producers:
        await producer.start()
    try:
        relays = [
            OutboxRelay(
                pool=messaging_pool, producer=p, dsn=messaging_db, batch_size=25, max_lanes=6
            )
            for p in producers
        ]
        for relay in relays:
            await relay.open()
            await relay.take_free_lanes()
        owned = [relay.lanes for relay in relays]
        assert sorted(lane for lanes in owned for lane in lanes) == list(range(16))
        await asyncio.gather(*(relay.publish_available() for relay in relays))
        for relay in relays:
            await relay.close()
    finally:
        for producer in producers:
            await producer.stop()
    records = await read_topic(stack.kafka_bootstrap, f"{prefix}registry.enterprise", expected=210)
    by_key: dict[str, list[int]] = defaultdict(list)
    for record in records:
        data = envelope_of(record)["data"]
        by_key[data["enterprise_id"]].append(int(data["name"].split()[-1]))
    assert sorted(by_key) == keys
    for sequence in by_key.values():
        assert sequence == sorted(sequence)
        assert len(sequence) == len(set(sequence)) == 30


async def test_relay_wakes_on_notify_without_waiting_for_the_poll(
    messaging_pool: asyncpg.Pool, messaging_db: str, stack: Stack, topic_prefix: str
) -> None:
    prefix = f"{topic_prefix}relay3."
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    stop, idle = asyncio.Event(), asyncio.Event()
    relay = OutboxRelay(
        pool=messaging_pool,
        producer=producer,
        dsn=messaging_db,
        poll_interval_seconds=60,
        on_progress=idle.set,  # a round completed: listening, with nothing to send
    )
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.wait_for(idle.wait(), 10)
        async with messaging_pool.acquire() as connection, connection.transaction():
            await append_events(
                connection, [registered("ent-w", 1)], source="/test", topic_prefix=prefix
            )
        records = await read_topic(
            stack.kafka_bootstrap, f"{prefix}registry.enterprise", expected=1, timeout_seconds=10
        )
        assert len(records) == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await producer.stop()


async def test_events_after_a_published_round_wake_the_relay_without_the_poll(
    messaging_pool: asyncpg.Pool, messaging_db: str, stack: Stack, topic_prefix: str
) -> None:
    """After a round that published, the relay waits for the next notification instead of
    claiming again at once: events committed then, during a round or between rounds, are
    still published without the (here one-minute) poll."""
    prefix = f"{topic_prefix}relay4."
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    stop, progress = asyncio.Event(), asyncio.Event()
    relay = OutboxRelay(
        pool=messaging_pool,
        producer=producer,
        dsn=messaging_db,
        poll_interval_seconds=60,
        on_progress=progress.set,
    )
    task = asyncio.create_task(relay.run(stop))

    async def all_published() -> bool:
        return not await messaging_pool.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )

    try:
        await asyncio.wait_for(progress.wait(), 10)
        for n in range(20):
            async with messaging_pool.acquire() as connection, connection.transaction():
                await append_events(
                    connection, [registered(f"ent-n{n}", n)], source="/test", topic_prefix=prefix
                )
            if n % 2:  # every other one while the previous may still be in its round
                await until(all_published, seconds=10, interval=0.01, message="not published")
        records = await read_topic(
            stack.kafka_bootstrap, f"{prefix}registry.enterprise", expected=20, timeout_seconds=10
        )
        assert len(records) == 20
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await producer.stop()


async def test_an_event_committed_while_a_round_waits_for_its_acknowledgement_is_sent_meanwhile(
    messaging_pool: asyncpg.Pool, messaging_db: str, stack: Stack, topic_prefix: str
) -> None:
    """A round whose batch still waits for the broker does not hold up the next event: its
    notification starts another claim at once, and both are published once acknowledged."""
    prefix = f"{topic_prefix}relay7."
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    release = asyncio.Event()
    sent_keys: list[bytes] = []
    holding: list[asyncio.Task[None]] = []

    class AcknowledgementsHeld:
        """The producer, its acknowledgements held back until ``release``."""

        def __getattr__(self, name: str) -> object:
            return getattr(producer, name)

        async def send(self, topic: str, **kwargs: Any) -> asyncio.Future[object]:
            acknowledgement = await producer.send(topic, **kwargs)
            sent_keys.append(kwargs["key"])
            held: asyncio.Future[object] = asyncio.get_running_loop().create_future()

            async def hold() -> None:
                await release.wait()
                held.set_result(await acknowledgement)

            holding.append(asyncio.create_task(hold()))
            return held

    stop, progress = asyncio.Event(), asyncio.Event()
    relay = OutboxRelay(
        pool=messaging_pool,
        producer=AcknowledgementsHeld(),  # type: ignore[arg-type]
        dsn=messaging_db,
        poll_interval_seconds=60,
        on_progress=progress.set,
    )
    task = asyncio.create_task(relay.run(stop))

    async def append(key: str) -> None:
        async with messaging_pool.acquire() as connection, connection.transaction():
            await append_events(
                connection, [registered(key, 1)], source="/test", topic_prefix=prefix
            )

    def sent(key: bytes) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return key in sent_keys

        return check

    async def published() -> bool:
        return not await messaging_pool.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )

    try:
        await asyncio.wait_for(progress.wait(), 10)
        await append("ent-held")
        await until(sent(b"ent-held"), seconds=10, interval=0.01, message="first not sent")
        await append("ent-next")
        await until(sent(b"ent-next"), seconds=10, interval=0.01, message="second waited")
        assert not any(task.done() for task in holding)  # the first is still unacknowledged
        release.set()
        records = await read_topic(
            stack.kafka_bootstrap, f"{prefix}registry.enterprise", expected=2, timeout_seconds=10
        )
        assert len(records) == 2
        await until(published, seconds=10, message="not marked published")
    finally:
        stop.set()
        release.set()
        await asyncio.wait_for(task, 5)
        await producer.stop()


# The sessions holding claim locks (shared) in this database, with what else they hold.
_CLAIM_LOCK_HOLDERS = """
SELECT l.pid, array_agg(l.objid::int ORDER BY l.objid) AS lanes, a.state,
       a.backend_xmin IS NULL AS no_snapshot, a.backend_xid IS NULL AS no_xid,
       (SELECT count(*) FROM pg_locks r
        WHERE r.pid = l.pid AND r.locktype = 'relation' AND r.relation = 'outbox'::regclass)
           AS outbox_locks
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.mode = 'ShareLock' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
GROUP BY l.pid, a.state, a.backend_xmin IS NULL, a.backend_xid IS NULL
"""


async def test_an_idle_relay_waits_in_a_claim_transaction_that_holds_no_table_or_snapshot(
    messaging_pool: asyncpg.Pool, messaging_db: str, stack: Stack, topic_prefix: str
) -> None:
    """Between notifications the relay's next claim transaction is already open, its lanes'
    claim locks taken, so a notification costs the claim alone; it holds nothing that stops
    vacuum or DDL on the outbox (no snapshot, no transaction id, no lock on the table), and
    it ends with the relay."""
    prefix = f"{topic_prefix}relay8."
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    stop, progress = asyncio.Event(), asyncio.Event()
    relay = OutboxRelay(
        pool=messaging_pool,
        producer=producer,
        dsn=messaging_db,
        poll_interval_seconds=60,
        on_progress=progress.set,
    )
    task = asyncio.create_task(relay.run(stop))

    async def waiting() -> list[asyncpg.Record]:
        return await messaging_pool.fetch(_CLAIM_LOCK_HOLDERS, CLAIM_LOCK_CLASS)

    async def open_and_idle() -> bool:
        """One session, idle in its transaction with the claim locks of all our lanes and
        nothing else (read in one query: a claim in progress passes through other states)."""
        holders = await waiting()
        return (
            len(holders) == 1
            and holders[0]["state"] == "idle in transaction"
            and holders[0]["pid"] != relay.lease_pid
            and holders[0]["lanes"] == sorted(relay.lanes)
            and holders[0]["no_snapshot"]
            and holders[0]["no_xid"]
            and holders[0]["outbox_locks"] == 0
        )

    async def published() -> bool:
        return not await messaging_pool.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )

    try:
        await asyncio.wait_for(progress.wait(), 10)
        for round_ in range(2):  # idle from the start, and again after a published event
            await until(published, seconds=10, interval=0.01, message="not marked published")
            await until(open_and_idle, seconds=10, interval=0.01, message="no claim waiting")
            async with messaging_pool.acquire() as connection, connection.transaction():
                await append_events(
                    connection, [registered("ent-o", round_)], source="/test", topic_prefix=prefix
                )
            records = await read_topic(
                stack.kafka_bootstrap,
                f"{prefix}registry.enterprise",
                expected=round_ + 1,
                timeout_seconds=10,
            )
            assert len(records) == round_ + 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await producer.stop()

    async def none_waiting() -> bool:
        return not await waiting()

    await until(none_waiting, seconds=5, interval=0.01, message="claim left open")


async def test_a_relay_that_lost_its_lease_lets_the_next_owner_in_by_its_next_poll(
    messaging_pool: asyncpg.Pool, messaging_db: str, stack: Stack, topic_prefix: str
) -> None:
    """The claim transaction a relay keeps open between notifications holds its lanes' claim
    locks, on which a relay taking a lane over waits: once the lease is gone, it ends within
    the next round (the poll), and the other relay publishes the lanes."""
    prefix = f"{topic_prefix}relay9."
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    stop, progress = asyncio.Event(), asyncio.Event()
    lost = OutboxRelay(
        pool=messaging_pool,
        producer=producer,
        dsn=messaging_db,
        poll_interval_seconds=0.2,
        on_progress=progress.set,
    )
    task = asyncio.create_task(lost.run(stop))
    successor = OutboxRelay(pool=messaging_pool, producer=producer, dsn=messaging_db)
    try:
        await asyncio.wait_for(progress.wait(), 10)
        await until(
            lambda: _claim_waiting(messaging_pool),
            seconds=10,
            interval=0.01,
            message="no claim waiting",
        )
        lease_pid = lost.lease_pid
        await messaging_pool.execute("SELECT pg_terminate_backend($1)", lease_pid)

        async def session_gone() -> bool:
            return not await messaging_pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", lease_pid
            )

        await until(session_gone, seconds=10, interval=0.01, message="lease session lives")
        await successor.open()
        # Without the open claim ending it would wait for the hand-over timeout (60 s).
        assert len(await asyncio.wait_for(successor.take_free_lanes(), 10)) == 16
        async with messaging_pool.acquire() as connection, connection.transaction():
            await append_events(
                connection, [registered("ent-l", 1)], source="/test", topic_prefix=prefix
            )
        assert await successor.publish_available() == 1
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)
        await successor.close()
        await producer.stop()


async def _claim_waiting(pool: asyncpg.Pool) -> bool:
    return bool(await pool.fetch(_CLAIM_LOCK_HOLDERS, CLAIM_LOCK_CLASS))


async def test_decimal_amounts_survive_exactly(messaging_pool: asyncpg.Pool) -> None:
    from decimal import Decimal

    value = await messaging_pool.fetchval("SELECT $1::jsonb", {"amount": Decimal("3000000.01")})
    assert value == {"amount": "3000000.01"}
    assert json.loads(json.dumps(value))["amount"] == "3000000.01"


async def test_a_standby_relay_takes_over_the_lanes_of_one_that_died(
    messaging_pool: asyncpg.Pool, messaging_db: str, stack: Stack, topic_prefix: str
) -> None:
    prefix = f"{topic_prefix}relay4."
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    active = OutboxRelay(pool=messaging_pool, producer=producer, dsn=messaging_db)
    standby = OutboxRelay(pool=messaging_pool, producer=producer, dsn=messaging_db)
    try:
        await active.open()
        await standby.open()
        assert len(await active.take_free_lanes()) == 16
        assert await standby.take_free_lanes() == []
        async with messaging_pool.acquire() as connection, connection.transaction():
            await append_events(
                connection, [registered("ent-s", 1)], source="/test", topic_prefix=prefix
            )
        assert await standby.publish_available() == 0
        await active.close()  # its session ends, as when the pod dies
        assert await standby.publish_available() == 1
    finally:
        await standby.close()
        await producer.stop()
