"""An awards database of 0.2.0, with years loaded into awards' own calendar tables, brought up
to date: the shared 0005 adds the calendar's columns to the table of that name awards had, and
awards' 0008 copies the loaded days into them as version 0 (docs/calendar.md). The years count
in the shared calendar; ``calendar_days`` stays for 0.2.0 pods."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import asyncpg

from awards.db import MIGRATIONS_DIR
from shared.db.migrate import common_migrations_dir, migrate
from shared.working_days import WorkingDayCalendar
from tests.support.databases import create_database, drop_database
from tests.support.stack import Stack

RELEASED_COMMON = ("0000_common_messaging", "0001_inbox_source", "0002_idempotency_leases",
                   "0003_audit_trail")  # fmt: skip
RELEASED_AWARDS = 7  # 0001_applications … 0007_reward_remainder


async def test_years_loaded_into_awards_before_count_in_the_shared_calendar(
    stack: Stack, tmp_path: Path
) -> None:
    released = tmp_path / "awards"
    released.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql"))[:RELEASED_AWARDS]:
        shutil.copy(path, released / path.name)
    dsn = await create_database(stack, "awards_calendar")
    try:
        # 0.2.0's schema: the four common migrations it had, then awards' seven.
        common = tmp_path / "common"
        common.mkdir()
        for name in RELEASED_COMMON:
            shutil.copy(common_migrations_dir() / f"{name}.sql", common / f"{name}.sql")
        _apply(dsn, common, released)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(
                "INSERT INTO calendar_years (year, loaded_by) VALUES (2031, 'province')"
            )
            await connection.execute(
                "INSERT INTO calendar_days (day, kind) VALUES ('2031-06-03', 'holiday'), "
                "('2031-01-01', 'holiday'), ('2031-06-07', 'workday')"
            )
        finally:
            await connection.close()

        applied = migrate(dsn, MIGRATIONS_DIR)
        assert {"0005_calendar_years", "0008_calendar_from_registry"} <= set(applied)

        connection = await asyncpg.connect(dsn)
        try:
            row = await connection.fetchrow("SELECT * FROM calendar_years WHERE year = 2031")
            assert row["version"] == 0 and row["loaded_by"] == "province"
            assert row["holidays"] == [dt.date(2031, 1, 1), dt.date(2031, 6, 3)]
            assert row["workdays"] == [dt.date(2031, 6, 7)]
            assert await connection.fetchval("SELECT to_regclass('calendar_days')") is not None
            calendar = WorkingDayCalendar()
            assert await calendar.refresh(connection) == [2031]
            assert not calendar.is_working_day(dt.date(2031, 6, 3))
            assert calendar.is_working_day(dt.date(2031, 6, 7))  # a Saturday worked
        finally:
            await connection.close()
    finally:
        await drop_database(stack, dsn)


def _apply(dsn: str, common: Path, service: Path) -> None:
    from yoyo import get_backend, read_migrations

    from shared.db.migrate import _yoyo_url

    backend = get_backend(_yoyo_url(dsn))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(read_migrations(str(common), str(service))))
