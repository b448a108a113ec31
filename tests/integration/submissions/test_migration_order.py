"""Migration numbers are reserved per helper (docs/architecture.md): statistics has 0003 while
0002 is still being written. yoyo applies by id, not by "highest number so far", so 0003 goes
in without 0002 and a 0002 that arrives later is still applied."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg

from shared.db.migrate import migrate
from submissions.db import MIGRATIONS_DIR
from tests.support.databases import create_database, drop_database
from tests.support.stack import Stack


async def test_0003_applies_before_0002_exists_and_a_later_0002_is_applied(
    stack: Stack, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name in ("0001_submissions.sql", "0003_statistics.sql"):
        shutil.copy(MIGRATIONS_DIR / name, folder / name)
    dsn = await create_database(stack, "migration_order")
    try:
        first = migrate(dsn, folder)
        assert "0001_submissions" in first and "0003_statistics" in first
        (folder / "0002_later.sql").write_text("CREATE TABLE arrived_later (id int);\n")
        assert migrate(dsn, folder) == ["0002_later"]
        assert migrate(dsn, folder) == []
        connection = await asyncpg.connect(dsn)
        try:
            tables = {
                r["tablename"]
                for r in await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
        finally:
            await connection.close()
        assert {"statistics_reports", "arrived_later", "reports"} <= tables
    finally:
        await drop_database(stack, dsn)
