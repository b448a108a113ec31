"""追回: money owed back (a revocation, a lowered subsidy or milestone) is recorded as it comes
back, in append-only ``reversed`` entries, never more than was paid nor than is owed; the ledger
shows what is still outstanding, and the budget and the entity's cap get the money back."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg
import pytest

from awards.handlers.rewards import ledger
from awards.handlers.rewards.recovery import record_recovery
from awards.handlers.rewards.views import reward
from shared.programmes import Programme

from .rewards_support import accepted_report, budget, budget_row, entries, listed_enterprise
from .test_reward_ledger import approve, subsidy


async def settle(pool: asyncpg.Pool, award_id: uuid.UUID, attempt: int = 1) -> None:
    async with pool.acquire() as connection, connection.transaction():
        key = await connection.fetchval(
            "SELECT idempotency_key FROM reward_awards WHERE id = $1", award_id
        )
        await ledger.record_answer(
            connection, award_id=award_id, idempotency_key=key, attempt=attempt, settled=True,
            reference=f"pay-{award_id}",
        )  # fmt: skip


async def recover(
    pool: asyncpg.Pool, award_id: uuid.UUID, yuan: int, reference: str
) -> dict[str, object]:
    async with pool.acquire() as connection, connection.transaction():
        return await record_recovery(
            connection, award_id, amount_fen=yuan * 100, reference=reference,
            actor="gz-finance-desk", reason="追回",
        )  # fmt: skip


async def revoke(pool: asyncpg.Pool, guizhou: Programme) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await ledger.on_revocation(
            connection, programme_id=guizhou.id, entity_type="enterprise", entity_id="ent-a",
            cancel_unpaid=True, recover_paid=True, reason="运营不达标取消示范项目资格",
        )  # fmt: skip


async def test_a_revoked_paid_award_is_recovered_up_to_what_is_owed(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await listed_enterprise(connection, "ent-a", basis=Decimal("1.2e9"))
    award = await subsidy(awards_pool, guizhou, "ent-a")
    await approve(awards_pool, award, 10_000)
    await revoke(awards_pool, guizhou)  # flagged while the payment is only requested
    with pytest.raises(ledger.WrongState, match="paid"):
        await recover(awards_pool, award, 1_000, "GZ-back-0")  # nothing came out yet
    await settle(awards_pool, award)

    assert await recover(awards_pool, award, 6_000, "GZ-back-1") == {
        "recovered_fen": 600_000, "outstanding_fen": 400_000,
    }  # fmt: skip
    with pytest.raises(ledger.OverCap):
        await recover(awards_pool, award, 5_000, "GZ-back-2")  # 4,000 is all that is owed
    with pytest.raises(ledger.LedgerRefusal, match="already recorded"):
        await recover(awards_pool, award, 1_000, "GZ-back-1")  # the same receipt twice
    async with awards_pool.acquire() as connection:
        shown = await reward(connection, award)
        assert shown is not None and shown.status == "settled"
        assert (shown.recovered, shown.recovery_outstanding) == (Decimal(6_000), Decimal(4_000))
        assert (await budget_row(connection, "traffic_subsidy"))["paid_fen"] == 400_000

    await recover(awards_pool, award, 4_000, "GZ-back-3")
    async with awards_pool.acquire() as connection:
        shown = await reward(connection, award)
        assert shown is not None and shown.status == "recovered"
        assert shown.recovery_outstanding == 0
        assert [e for e in await entries(connection, award) if e[0] == "reversed"] == [
            ("reversed", 600_000), ("reversed", 400_000),
        ]  # fmt: skip
        assert (await budget_row(connection, "traffic_subsidy"))["paid_fen"] == 0
        cap_paid = await connection.fetchval(
            "SELECT paid_fen FROM reward_caps WHERE entity_id = 'ent-a'"
        )
        assert cap_paid == 0
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await connection.execute(
                "UPDATE reward_entries SET amount_fen = 1 WHERE kind = 'reversed'"
            )
    with pytest.raises(ledger.WrongState, match="owed"):
        await recover(awards_pool, award, 1, "GZ-back-4")


async def test_a_lowered_subsidy_is_recovered_on_its_adjustment(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await listed_enterprise(connection, "ent-a", basis=Decimal("3e8"))
    award = await subsidy(awards_pool, guizhou, "ent-a")
    await approve(awards_pool, award, 150_000)
    await settle(awards_pool, award)
    with pytest.raises(ledger.WrongState, match="owed"):
        await recover(awards_pool, award, 1_000, "GZ-none")  # paid, but nothing owed back
    async with awards_pool.acquire() as connection:
        await accepted_report(  # corrected down to 2亿: 50,000 owed back
            connection, "ent-a", version=2,
            physical_goods_online_retail_sales=Decimal("2e8"), online_retail_sales=Decimal("2e8"),
        )  # fmt: skip
    lowered = await subsidy(awards_pool, guizhou, "ent-a")
    await recover(awards_pool, lowered, 50_000, "GZ-back-9")
    async with awards_pool.acquire() as connection:
        shown = await reward(connection, lowered)
        assert shown is not None and (shown.status, shown.recovery_outstanding) == ("recovered", 0)
        assert (await budget_row(connection, "traffic_subsidy"))["paid_fen"] == 10_000_000
