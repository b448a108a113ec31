"""Fresh databases for a test session, migrated by the service's own migrations."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg

from shared.db.migrate import migrate
from tests.support.stack import Stack


async def create_database(stack: Stack, prefix: str) -> str:
    name = f"test_{prefix}_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(stack.admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return stack.dsn_for(name)


async def drop_database(stack: Stack, dsn: str) -> None:
    name = dsn.rsplit("/", 1)[1]
    connection = await asyncpg.connect(stack.admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def migrated_database(stack: Stack, prefix: str, migrations_dir: Path) -> str:
    dsn = await create_database(stack, prefix)
    migrate(dsn, migrations_dir)
    return dsn
