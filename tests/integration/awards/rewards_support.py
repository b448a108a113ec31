"""Facts the rewards ledger tests start from: budgets, accepted reports, listed enterprises."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg

from awards.db import rewards as sql
from tests.support.polling import until

GUIZHOU = "guizhou-shibaiqianwan-2023"


async def budget(connection: asyncpg.Connection, kind: str, yuan: int, year: int = 2024) -> None:
    await connection.execute(sql.UPSERT_BUDGET, GUIZHOU, year, kind, yuan * 100, "province")


async def accepted_report(
    connection: asyncpg.Connection,
    entity_id: str,
    *,
    year: int = 2024,
    version: int = 1,
    report_id: str | None = None,
    **figures: Decimal,
) -> str:
    report_id = report_id or f"report-{entity_id}-{year}"
    await connection.execute(
        sql.INSERT_ACCEPTED_REPORT, report_id, version, f"{GUIZHOU}.annual-report.{year}",
        GUIZHOU, year, f"designation-{entity_id}", entity_id,
        {k: str(v) for k, v in figures.items()}, "province",
    )  # fmt: skip
    return report_id


async def listed_enterprise(
    connection: asyncpg.Connection, entity_id: str, *, year: int = 2024, basis: Decimal
) -> None:
    await connection.execute(sql.UPSERT_STATISTICS_YEAR, entity_id, year, True, "statistics")
    await accepted_report(
        connection,
        entity_id,
        year=year,
        physical_goods_online_retail_sales=basis,
        online_retail_sales=basis,
    )


async def budget_row(connection: asyncpg.Connection, kind: str, year: int = 2024) -> asyncpg.Record:
    row = await connection.fetchrow(
        "SELECT * FROM reward_budgets WHERE programme_id = $1 AND year = $2 AND kind = $3",
        GUIZHOU, year, kind,
    )  # fmt: skip
    assert row is not None
    return row


async def entries(connection: asyncpg.Connection, award_id: uuid.UUID) -> list[tuple[str, int]]:
    rows = await connection.fetch(sql.ENTRIES, [award_id])
    return [(row["kind"], row["amount_fen"]) for row in rows]


async def wait_for_lock_waiter(connection: asyncpg.Connection, *, seconds: float = 10) -> None:
    """Polls until another session of this database waits on a lock (or fails at the deadline)."""

    async def waiting() -> bool:
        return bool(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        )

    await until(waiting, seconds=seconds, interval=0.02, message="no session waits on the lock")


async def payment_requests(connection: asyncpg.Connection) -> int:
    count: int = await connection.fetchval(
        "SELECT count(*) FROM outbox WHERE event_type LIKE 'awards.payment.requested%'"
    )
    return count


async def designated(
    connection: asyncpg.Connection, entity_type: str, entity_id: str, category: str
) -> uuid.UUID:
    """A designation as the application workflow leaves it (with its application row)."""
    application_id, designation_id = uuid.uuid4(), uuid.uuid4()
    await connection.execute(
        "INSERT INTO applications (id, workflow_id, programme_id, year, category, entity_type, "
        "entity_id, entity_name, region_code, stage, submitted_by) "
        "VALUES ($1, $2, $3, 2024, $4, $5, $6, '示范', '520302', 'designated', 'op')",
        application_id, f"wf-{application_id}", GUIZHOU, category, entity_type, entity_id,
    )  # fmt: skip
    await connection.execute(
        "INSERT INTO designations (id, application_id, programme_id, year, category, entity_type, "
        "entity_id, entity_name, region_code, title, designated_on, legal_basis, "
        "recommended_for_national) VALUES ($1, $2, $3, 2024, $4, $5, $6, '示范', '520302', "
        "'称号', '2024-09-01', '黔商发〔2023〕1号', true)",
        designation_id, application_id, GUIZHOU, category, entity_type, entity_id,
    )  # fmt: skip
    return designation_id
