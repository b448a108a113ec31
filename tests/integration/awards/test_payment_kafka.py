"""Through Kafka: an approval's ``awards.payment.requested`` leaves by the outbox relay; finance
(played here) answers ``finance.payment.settled`` twice (two deliveries, two event ids); the
awards consumer, the service's real idempotent consumer, settles the award once."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import asyncpg

from awards.consumers.handlers import TOPICS
from awards.handlers.rewards import ledger
from awards.handlers.rewards.finance import Outbox
from awards.handlers.rewards.proposals import propose
from shared.events import wrap
from shared.events.rewards import PaymentSettled
from shared.messaging.kafka import create_consumer, create_producer
from shared.messaging.relay import OutboxRelay
from shared.programmes import Programme
from tests.support.stack import Stack

from .conftest import consumer_table, no_temporal
from .rewards_support import budget, budget_row, entries, listed_enterprise
from .test_dev_server_kafka import consume_until
from .test_reward_ledger import TODAY


async def test_a_payment_request_and_its_redelivered_answer_over_kafka(
    stack: Stack,
    awards_db: str,
    awards_pool: asyncpg.Pool,
    guizhou: Programme,
    topic_prefix: str,
) -> None:
    prefix = f"{topic_prefix}pay{uuid.uuid4().hex[:6]}."
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 100_000)
        await listed_enterprise(connection, "ent-a", basis=Decimal(100_000_000))
    async with awards_pool.acquire() as connection, connection.transaction():
        award = await propose(
            connection, guizhou, reward_id="traffic-subsidy", entity_type="enterprise",
            entity_id="ent-a", year=2024, actor="province",
        )  # fmt: skip
    async with awards_pool.acquire() as connection, connection.transaction():
        await ledger.approve(
            connection, award, amount_fen=5_000_000, actor="province", today=TODAY,
            outbox=Outbox(topic_prefix=prefix),
        )  # fmt: skip

    producer = create_producer(stack.kafka_bootstrap, client_id=f"{prefix}relay")
    await producer.start()
    try:
        assert await OutboxRelay(pool=awards_pool, producer=producer, dsn=awards_db).drain() == 1
        finance = create_consumer(
            f"{prefix}awards.payment", bootstrap_servers=stack.kafka_bootstrap,
            group_id=f"{prefix}finance",
        )  # fmt: skip
        await finance.start()
        try:
            message = await finance.getone()
        finally:
            await finance.stop()
        request = json.loads(message.value)["data"]
        assert request["idempotency_key"].endswith(":ent-a:traffic_subsidy:2024:2024")
        answer = PaymentSettled(
            award_id=request["award_id"], idempotency_key=request["idempotency_key"],
            attempt=request["attempt"], amount=request["amount"], reference="GZCZ-7",
        )  # fmt: skip
        for _ in range(2):  # finance's retry: a new envelope, the same answer
            envelope = wrap(answer, source="/finance")
            await producer.send_and_wait(
                f"{prefix}{answer.topic}",
                envelope.model_dump_json(exclude_none=True).encode(),
                key=answer.aggregate_id().encode(),
            )
    finally:
        await producer.stop()

    async def settled_twice_seen() -> bool:
        async with awards_pool.acquire() as connection:
            seen = await connection.fetchval("SELECT count(*) FROM inbox")
            return bool(seen >= 2)

    await consume_until(
        stack, awards_pool, name="awards", prefix=prefix, topics=TOPICS,
        handlers=consumer_table(no_temporal), done=settled_twice_seen,
    )  # fmt: skip
    async with awards_pool.acquire() as connection:
        row = await budget_row(connection, "traffic_subsidy")
        assert (row["reserved_fen"], row["paid_fen"]) == (0, 5_000_000)
        assert [kind for kind, _ in await entries(connection, award)].count("settled") == 1
