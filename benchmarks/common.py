"""What the benchmarks share: the stack's endpoints and throwaway databases."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

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


async def delete_topics(prefix: str) -> None:
    """Delete the topics a benchmark created (all start with its own prefix)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    await admin.start()
    try:
        topics = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()
