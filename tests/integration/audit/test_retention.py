"""Partitions older than the retention period are archived to a file, then dropped; the chain
still verifies, from the archived head."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import asyncpg
import pytest

from shared.audit import Actor, append, verify
from shared.audit.cli import main as ecom_audit
from shared.audit.retention import archive_expired, ensure_partitions, verify_archive_file

ACTOR = Actor(subject="carol", roles=("province_admin",))
LONG_AGO = dt.datetime(2024, 1, 15, 8, 0, tzinfo=dt.UTC)


async def _append(pool: asyncpg.Pool, at: dt.datetime | None = None) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await append(
            connection, kind="change", actor=ACTOR, action="a", resource_type="thing",
            recorded_at=at,
        )  # fmt: skip


async def test_archive_then_drop_and_verify_from_the_archived_head(
    audit_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    async with audit_pool.acquire() as connection:
        await ensure_partitions(connection, months_ahead=0, now=LONG_AGO)
    for n in range(3):
        await _append(audit_pool, LONG_AGO + dt.timedelta(minutes=n))
    await _append(audit_pool)
    await _append(audit_pool)
    async with audit_pool.acquire() as connection:
        archived = await archive_expired(
            connection, service="registry", archive_dir=tmp_path, retention_days=180
        )
        assert [(a.name, a.rows, a.last_seq) for a in archived] == [("audit_log_2024_01", 3, 3)]
        assert await connection.fetchval("SELECT to_regclass('audit_log_2024_01')") is None
        result = await verify(connection)
        # Archived months are not made again.
        assert await ensure_partitions(connection, months_ahead=0, now=LONG_AGO) == 0
    assert result.ok and result.first_seq == 4 and result.rows == 2
    rows, last = verify_archive_file(archived[0].path)
    assert (rows, last) == (3, archived[0].last_hash)
    recorded = await audit_pool.fetchrow("SELECT * FROM audit_archives")
    assert recorded["file_name"] == "registry-audit_log_2024_01.jsonl.gz"
    assert recorded["first_prev_hash"] == "0" * 64


async def test_nothing_younger_than_the_retention_is_archived(
    audit_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await _append(audit_pool)
    async with audit_pool.acquire() as connection:
        assert await archive_expired(connection, service="registry", archive_dir=tmp_path) == []
        with pytest.raises(ValueError, match="at least 180 days"):
            await archive_expired(
                connection, service="registry", archive_dir=tmp_path, retention_days=179
            )
    assert await audit_pool.fetchval("SELECT count(*) FROM audit_log") == 1


async def test_the_cli_refuses_a_retention_under_six_months(
    audit_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["archive", "--service", "registry", "--database-url", audit_db,
                 "--archive-dir", str(tmp_path), "--retention-days", "90"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_code:
        await asyncio.to_thread(ecom_audit, arguments)
    assert exit_code.value.code == 1
    assert "at least 180 days" in capsys.readouterr().out
