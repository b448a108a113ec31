"""Integration fixtures: a migrated database per test module and Kafka clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from shared.db.pool import create_pool
from shared.messaging.kafka import create_producer
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack

EMPTY_SERVICE_MIGRATIONS = Path(__file__).parent / "no_service_migrations"


@pytest.fixture
async def messaging_db(stack: Stack) -> AsyncIterator[str]:
    """A database with only the common messaging tables (outbox, inbox, idempotency keys)."""
    dsn = await migrated_database(stack, "messaging", EMPTY_SERVICE_MIGRATIONS)
    yield dsn
    await drop_database(stack, dsn)


@pytest.fixture
async def messaging_pool(messaging_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(messaging_db, min_size=1, max_size=8)
    yield pool
    await pool.close()


@pytest.fixture
async def producer(stack: Stack) -> AsyncIterator[AIOKafkaProducer]:
    """The project's Kafka producer (acks=all, idempotent) on the stack's broker."""
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    yield producer
    await producer.stop()
