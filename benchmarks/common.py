"""What the benchmarks share: the stack's endpoints and throwaway databases."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg

from shared.db.migrate import migrate


def admin_dsn() -> str:
    return os.environ["STACK_DATABASE_ADMIN_URL"]


def kafka_bootstrap() -> str:
    return os.environ["STACK_KAFKA_BOOTSTRAP_SERVERS"]


async def fresh_database(prefix: str, service_migrations: Path) -> str:
    name = f"bench_{prefix}_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(admin_dsn())
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    dsn = admin_dsn().rsplit("/", 1)[0] + f"/{name}"
    migrate(dsn, service_migrations)
    return dsn


async def drop_database(dsn: str) -> None:
    connection = await asyncpg.connect(admin_dsn())
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{dsn.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
