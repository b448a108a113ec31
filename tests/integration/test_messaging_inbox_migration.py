"""Migration 0001 adds the CloudEvents source to the inbox key and fills it for old rows."""

from __future__ import annotations

import asyncpg

from shared.db.migrate import common_migrations_dir
from tests.support.databases import create_database, drop_database
from tests.support.stack import Stack


async def test_rows_from_before_the_migration_keep_deduplicating_our_own_events(
    stack: Stack,
) -> None:
    dsn = await create_database(stack, "inbox_migration")
    try:
        connection = await asyncpg.connect(dsn)
        try:
            migrations = common_migrations_dir()
            await connection.execute((migrations / "0000_common_messaging.sql").read_text())
            await connection.execute(
                "INSERT INTO inbox (consumer, event_id, event_type) VALUES "
                "('notifications', 'e-1', 'registry.enterprise.registered.v1')"
            )
            await connection.execute((migrations / "0001_inbox_source.sql").read_text())
            rows = await connection.fetch("SELECT consumer, source, event_id FROM inbox")
            assert [tuple(row) for row in rows] == [("notifications", "/services/registry", "e-1")]
            # The redelivery of that event (source /services/registry) finds its row; the same
            # id from another source is another event.
            claim = (
                "INSERT INTO inbox (consumer, source, event_id, event_type) "
                "VALUES ('notifications', $1, 'e-1', 'x') ON CONFLICT DO NOTHING RETURNING 1"
            )
            assert await connection.fetchval(claim, "/services/registry") is None
            assert await connection.fetchval(claim, "/external/finance") == 1
        finally:
            await connection.close()
    finally:
        await drop_database(stack, dsn)
