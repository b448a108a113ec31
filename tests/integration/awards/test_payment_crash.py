"""A process killed between requesting a payment and recording it never pays twice: killed
inside the transaction, nothing was requested and a retry requests once; killed after the
commit, a retry is refused (already requested) and finance's answers settle it once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from awards.handlers.rewards import ledger
from awards.handlers.rewards.proposals import propose
from shared.programmes import Programme
from tests.support.polling import until

from .rewards_support import budget, budget_row, entries, listed_enterprise, payment_requests
from .test_reward_ledger import approve

ROOT = Path(__file__).resolve().parents[3]


def child(dsn: str, award_id: uuid.UUID, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.awards.payment_crash_child", dsn,
         str(award_id), mode],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


async def wait_for_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout=60)
    return line.strip()


async def wait_until_rolled_back(connection: asyncpg.Connection, seconds: float = 30) -> None:
    """PostgreSQL ends the dead client's backend (and its transaction) once it sees the socket
    closed; poll until no session of this database is left idle in a transaction."""

    async def closed() -> bool:
        return not await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
        )

    await until(
        closed, seconds=seconds, interval=0.05,
        message="the killed process's transaction is still open",
    )  # fmt: skip


async def proposed_subsidy(pool: asyncpg.Pool, guizhou: Programme) -> uuid.UUID:
    async with pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 10_000)
        await listed_enterprise(connection, "ent-a", basis=Decimal(100_000_000))
    async with pool.acquire() as connection, connection.transaction():
        return await propose(
            connection, guizhou, reward_id="traffic-subsidy", entity_type="enterprise",
            entity_id="ent-a", year=2024, actor="province",
        )  # fmt: skip


async def test_killed_inside_the_transaction_requests_once_on_retry(
    awards_db: str, awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    award = await proposed_subsidy(awards_pool, guizhou)
    process = child(awards_db, award, "hold")
    assert await wait_for_line(process) == "requested"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    async with awards_pool.acquire() as connection:
        await wait_until_rolled_back(connection)
        assert await payment_requests(connection) == 0
        assert (await budget_row(connection, "traffic_subsidy"))["reserved_fen"] == 0
        assert await entries(connection, award) == [("proposed", 5_000_000)]
    await approve(awards_pool, award, 10_000)  # the retry, the whole budget: it fits once
    async with awards_pool.acquire() as connection:
        assert await payment_requests(connection) == 1
        assert (await budget_row(connection, "traffic_subsidy"))["reserved_fen"] == 1_000_000


async def test_killed_after_the_commit_is_never_requested_or_paid_twice(
    awards_db: str, awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    award = await proposed_subsidy(awards_pool, guizhou)
    process = child(awards_db, award, "commit")
    assert process.wait(timeout=60) == -signal.SIGKILL
    with pytest.raises(ledger.WrongState):  # the caller never heard back: it retries
        await approve(awards_pool, award, 10_000)
    async with awards_pool.acquire() as connection:
        assert await payment_requests(connection) == 1
        key = await connection.fetchval(
            "SELECT idempotency_key FROM reward_awards WHERE id = $1", award
        )
    for _ in range(3):  # finance's answer, redelivered
        async with awards_pool.acquire() as connection, connection.transaction():
            await ledger.record_answer(
                connection, award_id=award, idempotency_key=key, attempt=1, settled=True,
                amount_fen=1_000_000, reference="FIN-9",
            )  # fmt: skip
    async with awards_pool.acquire() as connection:
        row = await budget_row(connection, "traffic_subsidy")
        assert (row["reserved_fen"], row["paid_fen"]) == (0, 1_000_000)
        assert [kind for kind, _ in await entries(connection, award)].count("settled") == 1
