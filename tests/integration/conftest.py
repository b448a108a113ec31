"""Integration fixtures: a migrated database per test module and Kafka clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from shared.db.pool import create_pool
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
