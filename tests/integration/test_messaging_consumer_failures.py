"""The consumer under failure: transient errors are retried, poison goes to the dead letters.

One test restarts PostgreSQL under a running consumer; it uses a private cluster
(``tests/support/private_postgres.py``), never the shared one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from asyncpg import exceptions as pg

from shared.db.migrate import migrate
from shared.db.pool import create_pool
from shared.events import EnterpriseRegistered, EventEnvelope, wrap
from shared.events.envelope import DomainEvent
from shared.messaging.consumer import PoisonMessage, dead_letter_topic
from tests.integration.conftest import EMPTY_SERVICE_MIGRATIONS
from tests.integration.test_idempotent_consumer import TOPIC, envelope_bytes, run_consumer_until
from tests.support.kafka import read_topic
from tests.support.kafka_topics import delete_topics
from tests.support.private_postgres import PrivatePostgres, private_postgres
from tests.support.stack import Stack


@pytest.fixture
async def prefix(
    topic_prefix: str, request: pytest.FixtureRequest, stack: Stack
) -> AsyncIterator[str]:
    """A topic prefix of this test's own; its topics are deleted afterwards."""
    own = f"{topic_prefix}{request.node.name[-20:].replace('_', '-')}."
    yield own
    await delete_topics(stack.kafka_bootstrap, own)


async def dead_letters(stack: Stack, prefix: str, name: str) -> list[object]:
    """What reached the dead-letter topic (waits a little: nothing is expected)."""
    return list(
        await read_topic(
            stack.kafka_bootstrap, dead_letter_topic(prefix, name), expected=1, timeout_seconds=3
        )
    )


async def count(pool: asyncpg.Pool, table: str) -> int:
    return int(await pool.fetchval(f"SELECT count(*) FROM {table}"))


async def test_transient_errors_are_retried_past_max_attempts_and_never_dead_lettered(
    messaging_pool: asyncpg.Pool, stack: Stack, prefix: str, producer: AIOKafkaProducer
) -> None:
    await messaging_pool.execute("CREATE TABLE effects (enterprise_id text)")
    _, value = envelope_bytes("ent-t")
    await producer.send_and_wait(f"{prefix}{TOPIC}", value=value, key=b"ent-t")
    transient: list[Exception] = [
        pg.SerializationError("could not serialize access"),
        pg.DeadlockDetectedError("deadlock detected"),
        pg.LockNotAvailableError("canceling statement due to lock timeout"),
        pg.QueryCanceledError("canceling statement due to statement timeout"),
        pg.AdminShutdownError("terminating connection due to administrator command"),
        ConnectionResetError("connection reset by peer"),
        TimeoutError(),  # what a pool acquire raises when it times out
    ]
    raised: list[str] = []

    async def handler(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, EnterpriseRegistered)
        if transient:
            error = transient.pop(0)
            raised.append(type(error).__name__)
            raise error
        await connection.execute("INSERT INTO effects VALUES ($1)", event.enterprise_id)

    async def applied() -> bool:
        return await count(messaging_pool, "effects") >= 1

    await run_consumer_until(
        stack=stack,
        pool=messaging_pool,
        prefix=prefix,
        name="transient",
        handler=handler,
        producer=producer,
        done=applied,
        max_attempts=3,
    )
    assert len(raised) == 7
    assert await count(messaging_pool, "effects") == 1
    assert await dead_letters(stack, prefix, "transient") == []


async def test_a_handler_declaring_poison_dead_letters_at_once(
    messaging_pool: asyncpg.Pool, stack: Stack, prefix: str, producer: AIOKafkaProducer
) -> None:
    _, value = envelope_bytes("ent-p")
    await producer.send_and_wait(f"{prefix}{TOPIC}", value=value, key=b"ent-p")
    calls = 0

    async def handler(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        nonlocal calls
        calls += 1
        raise PoisonMessage("the enterprise's region does not exist")

    dead: list[object] = []

    async def dead_lettered() -> bool:
        dead[:] = await read_topic(
            stack.kafka_bootstrap,
            dead_letter_topic(prefix, "poison"),
            expected=1,
            timeout_seconds=1,
        )
        return bool(dead)

    await run_consumer_until(
        stack=stack,
        pool=messaging_pool,
        prefix=prefix,
        name="poison",
        handler=handler,
        producer=producer,
        done=dead_lettered,
        max_attempts=5,
    )
    assert calls == 1
    headers = dict(dead[0].headers)  # type: ignore[attr-defined]
    assert headers["dlq.attempts"] == b"1"
    assert b"region does not exist" in headers["dlq.error"]


async def test_the_same_event_id_from_two_sources_is_applied_twice(
    messaging_pool: asyncpg.Pool, stack: Stack, prefix: str, producer: AIOKafkaProducer
) -> None:
    await messaging_pool.execute("CREATE TABLE effects (source text, enterprise_id text)")
    for source, enterprise_id in (("/external/finance", "ent-f"), ("/external/tax", "ent-t")):
        envelope = wrap(
            EnterpriseRegistered(
                enterprise_id=enterprise_id,
                credit_code="91310110666007217T",
                name="测试企业",
                region_code="520102",
            ),
            source=source,
        ).model_copy(update={"id": "1"})
        await producer.send_and_wait(
            f"{prefix}{TOPIC}", value=envelope.model_dump_json().encode(), key=b"k"
        )

    async def handler(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, EnterpriseRegistered)
        await connection.execute(
            "INSERT INTO effects VALUES ($1, $2)", envelope.source, event.enterprise_id
        )

    async def both() -> bool:
        return await count(messaging_pool, "inbox") >= 2

    await run_consumer_until(
        stack=stack,
        pool=messaging_pool,
        prefix=prefix,
        name="sources",
        handler=handler,
        producer=producer,
        done=both,
        timeout=15,
    )
    rows = await messaging_pool.fetch("SELECT source, enterprise_id FROM effects ORDER BY source")
    assert [tuple(row) for row in rows] == [
        ("/external/finance", "ent-f"),
        ("/external/tax", "ent-t"),
    ]


@pytest.fixture
def own_postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


async def test_a_postgresql_restart_under_the_consumer_dead_letters_nothing(
    own_postgres: PrivatePostgres,
    stack: Stack,
    prefix: str,
    producer: AIOKafkaProducer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = await asyncpg.connect(own_postgres.admin_dsn)
    await admin.execute("CREATE DATABASE consumer_restart")
    await admin.close()
    dsn = own_postgres.dsn_for("consumer_restart")
    migrate(dsn, EMPTY_SERVICE_MIGRATIONS)
    pool = await create_pool(dsn, min_size=1, max_size=4)
    await pool.execute("CREATE TABLE effects (event_id text, enterprise_id text)")
    event_ids = []
    for n in range(30):
        event_id, value = envelope_bytes(f"ent-{n}")
        event_ids.append(event_id)
        await producer.send(f"{prefix}{TOPIC}", value=value, key=f"ent-{n}".encode())
    await producer.flush()

    async def handler(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, EnterpriseRegistered)
        await connection.execute(
            "INSERT INTO effects VALUES ($1, $2)", envelope.id, event.enterprise_id
        )
        handled.append(envelope.id)
        if len(handled) < 5 or restarted:
            return
        # From the fifth event on, a handler holds its transaction until the server is down,
        # so that the restart falls mid-stream; the statement it then sends meets the outage.
        await asyncio.wait_for(stopped.wait(), timeout=60)
        try:
            await connection.execute("SELECT 1")
        finally:
            met_outage.set()

    handled: list[object] = []
    stopped, met_outage = asyncio.Event(), asyncio.Event()
    restarted = False

    async def effects() -> int:
        """Counted on a connection of its own: the consumer's pool is what is under test."""
        try:
            connection = await asyncpg.connect(dsn, timeout=5)
        except (OSError, asyncpg.PostgresError):
            return -1  # the server is down
        try:
            return int(await connection.fetchval("SELECT count(*) FROM effects", timeout=5))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return -1
        finally:
            connection.terminate()

    async def through_a_restart() -> bool:
        nonlocal restarted
        if not restarted and len(handled) >= 5:
            await asyncio.to_thread(own_postgres.stop)
            stopped.set()
            # The outage lasts until a handler has met it.
            await asyncio.wait_for(met_outage.wait(), timeout=60)
            await asyncio.to_thread(own_postgres.start)
            restarted = True
        return restarted and await effects() >= 30

    try:
        await run_consumer_until(
            stack=stack,
            pool=pool,
            prefix=prefix,
            name="restart",
            handler=handler,
            producer=producer,
            done=through_a_restart,
            timeout=90,
            max_attempts=3,
        )
        assert restarted
        # The consumer felt the outage, retried it as transient, and dead-lettered nothing.
        assert any("failed (transient)" in record.getMessage() for record in caplog.records)
        assert await dead_letters(stack, prefix, "restart") == []
        await pool.expire_connections()  # those from before the restart are dead
        applied = [r["event_id"] for r in await pool.fetch("SELECT event_id FROM effects")]
        assert sorted(applied) == sorted(event_ids)  # each exactly once
        assert await count(pool, "inbox") == 30
    finally:
        # A connection the server cut mid-transaction can stay checked out of asyncpg's pool
        # (the entrypoints bound their close the same way).
        try:
            await asyncio.wait_for(pool.close(), 10)
        except TimeoutError:
            pool.terminate()
