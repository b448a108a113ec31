"""A database with only the common migrations (outbox, inbox, idempotency keys, audit trail)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.db.pool import create_pool
from tests.integration.conftest import EMPTY_SERVICE_MIGRATIONS
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack


@pytest.fixture
async def audit_db(stack: Stack) -> AsyncIterator[str]:
    dsn = await migrated_database(stack, "audit", EMPTY_SERVICE_MIGRATIONS)
    yield dsn
    await drop_database(stack, dsn)


@pytest.fixture
async def audit_pool(audit_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(audit_db, min_size=1, max_size=10)
    yield pool
    await pool.close()
