"""The reward ledger in PostgreSQL: reservations that cannot overdraw a budget or a cap, even
when two approvals race; append-only entries; idempotent answers from finance; a blocking credit
record; a corrected report's adjustment; what a revocation does."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from awards.db import queries as awards_queries
from awards.handlers.rewards import ledger
from awards.handlers.rewards.proposals import AlreadyAwarded, NotEligible, propose
from shared.events.rewards import PaymentRequested, RecoveryDue
from shared.programmes import Programme

from .rewards_support import (
    accepted_report,
    budget,
    budget_row,
    designated,
    entries,
    listed_enterprise,
    payment_requests,
    wait_for_lock_waiter,
)

YI = Decimal(100_000_000)
TODAY = dt.date(2025, 3, 1)


async def subsidy(pool: asyncpg.Pool, guizhou: Programme, entity_id: str) -> uuid.UUID:
    async with pool.acquire() as connection, connection.transaction():
        return await propose(
            connection, guizhou, reward_id="traffic-subsidy", entity_type="enterprise",
            entity_id=entity_id, year=2024, actor="province",
        )  # fmt: skip


async def approve(pool: asyncpg.Pool, award_id: uuid.UUID, yuan: int) -> dict[str, object]:
    async with pool.acquire() as connection, connection.transaction():
        return await ledger.approve(
            connection, award_id, amount_fen=yuan * 100, actor="province", today=TODAY
        )


async def test_two_approvals_of_the_last_10000_one_succeeds(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 10_000)
        for entity in ("ent-a", "ent-b"):
            await listed_enterprise(connection, entity, basis=YI)
    first, second = [await subsidy(awards_pool, guizhou, e) for e in ("ent-a", "ent-b")]

    # Deterministic race: A holds the budget row's lock when B's reservation starts.
    holder = await awards_pool.acquire()
    transaction = holder.transaction()
    await transaction.start()
    await ledger.approve(holder, first, amount_fen=1_000_000, actor="province", today=TODAY)
    racing = asyncio.create_task(approve(awards_pool, second, 10_000))
    async with awards_pool.acquire() as watcher:
        await wait_for_lock_waiter(watcher)  # B waits on A's lock on the budget row
    await transaction.commit()
    await awards_pool.release(holder)
    with pytest.raises(ledger.BudgetExhausted):
        await racing

    async with awards_pool.acquire() as connection:
        row = await budget_row(connection, "traffic_subsidy")
        assert (row["reserved_fen"], row["paid_fen"]) == (1_000_000, 0)
        assert await payment_requests(connection) == 1
        assert await entries(connection, second) == [("proposed", 5_000_000)]


async def test_many_concurrent_approvals_never_overdraw(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    entities = [f"ent-{n}" for n in range(6)]
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 25_000)
        for entity in entities:
            await listed_enterprise(connection, entity, basis=YI)
    awards = [await subsidy(awards_pool, guizhou, entity) for entity in entities]
    results = await asyncio.gather(
        *(approve(awards_pool, award, 10_000) for award in awards), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 2
    assert all(
        isinstance(r, ledger.BudgetExhausted) for r in results if isinstance(r, BaseException)
    )
    async with awards_pool.acquire() as connection:
        row = await budget_row(connection, "traffic_subsidy")
        assert row["reserved_fen"] == 2_000_000 <= row["amount_fen"]


async def test_the_database_refuses_an_overdraw_and_changed_entries(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 100_000)
        await listed_enterprise(connection, "ent-a", basis=YI)
    award = await subsidy(awards_pool, guizhou, "ent-a")
    await approve(awards_pool, award, 50_000)
    async with awards_pool.acquire() as connection:
        with pytest.raises(asyncpg.CheckViolationError):  # a buggy caller skipping the check
            await connection.execute(
                "UPDATE reward_budgets SET reserved_fen = reserved_fen + 5000001"
            )
        with pytest.raises(asyncpg.CheckViolationError):
            await connection.execute("UPDATE reward_caps SET paid_fen = cap_fen")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("UPDATE reward_entries SET amount_fen = 1")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("DELETE FROM reward_entries")


async def test_once_per_tier_and_one_subsidy_per_year(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await listed_enterprise(connection, "ent-a", basis=YI)
        await accepted_report(connection, "park-1", online_retail_sales=Decimal("1.2e9"))
    await subsidy(awards_pool, guizhou, "ent-a")
    with pytest.raises(AlreadyAwarded):
        await subsidy(awards_pool, guizhou, "ent-a")
    async with awards_pool.acquire() as connection, connection.transaction():
        await propose(
            connection, guizhou, reward_id="sales-1-billion", entity_type="park",
            entity_id="park-1", year=2024, actor="province",
        )  # fmt: skip
    async with awards_pool.acquire() as connection:
        # Even a direct second insert of the same tier is refused by the unique index.
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute(
                "INSERT INTO reward_awards SELECT gen_random_uuid(), programme_id, reward_id, "
                "kind, entity_type, entity_id, region_code, year + 1, tier, cap_group, cap_year, "
                "cap_fen, max_fen, working, report_id, report_version, adjusts, idempotency_key, "
                "status, status_reason, recovery_flagged, proposed_by, proposed_at "
                "FROM reward_awards WHERE kind = 'sales_milestone'"
            )


async def test_settled_twice_pays_once_and_a_failure_frees_the_reservation(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 100_000)
        await listed_enterprise(connection, "ent-a", basis=YI)
        await listed_enterprise(connection, "ent-b", basis=YI)
    paid, failed = [await subsidy(awards_pool, guizhou, e) for e in ("ent-a", "ent-b")]
    requested = await approve(awards_pool, paid, 50_000)
    await approve(awards_pool, failed, 30_000)
    key = str(requested["idempotency_key"])
    assert key == "guizhou-shibaiqianwan-2023:enterprise:ent-a:traffic_subsidy:2024:2024"
    outcomes = []
    for _ in range(2):  # a redelivered answer
        async with awards_pool.acquire() as connection, connection.transaction():
            outcomes.append(
                await ledger.record_answer(
                    connection,
                    award_id=paid,
                    idempotency_key=key,
                    attempt=1,
                    settled=True,
                    amount_fen=5_000_000,
                    reference="FIN-1",
                )
            )
    assert outcomes == [True, False]
    async with awards_pool.acquire() as connection, connection.transaction():
        award = await connection.fetchrow(
            "SELECT idempotency_key FROM reward_awards WHERE id=$1", failed
        )
        await ledger.record_answer(
            connection, award_id=failed, idempotency_key=award["idempotency_key"], attempt=1,
            settled=False, reason="bank account closed",
        )  # fmt: skip
    async with awards_pool.acquire() as connection:
        row = await budget_row(connection, "traffic_subsidy")
        assert (row["reserved_fen"], row["paid_fen"]) == (0, 5_000_000)
        assert await entries(connection, paid) == [
            ("proposed", 5_000_000), ("reserved", 5_000_000),
            ("payment_requested", 5_000_000), ("settled", 5_000_000),
        ]  # fmt: skip
    again = await approve(awards_pool, failed, 30_000)  # retried: a new attempt, the same key
    assert again["attempt"] == 2
    with pytest.raises(ledger.WrongState):
        await approve(awards_pool, paid, 1)


async def test_a_blocking_credit_record_stops_the_payment_request(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 100_000)
        await listed_enterprise(connection, "ent-a", basis=YI)
        await connection.execute(
            awards_queries.INSERT_CREDIT_RECORD, "cr-1", "ent-a", "dishonest_entity",
            dt.date(2025, 1, 1), None, "（2025）黔01执123号", "credit-platform",
        )  # fmt: skip
    award = await subsidy(awards_pool, guizhou, "ent-a")
    with pytest.raises(ledger.PaymentBlocked) as refused:
        await approve(awards_pool, award, 50_000)
    assert (
        "dishonest_entity" in refused.value.detail.en and "黔01执123号" in refused.value.detail.en
    )
    assert "失信被执行人" in refused.value.detail.zh and "黔01执123号" in refused.value.detail.zh
    async with awards_pool.acquire() as connection:
        assert (await budget_row(connection, "traffic_subsidy"))["reserved_fen"] == 0
        assert await payment_requests(connection) == 0


async def test_a_corrected_report_after_payment_gives_an_adjustment(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await listed_enterprise(connection, "ent-a", basis=Decimal("2.5e8"))
    award = await subsidy(awards_pool, guizhou, "ent-a")
    await approve(awards_pool, award, 125_000)
    async with awards_pool.acquire() as connection:
        await accepted_report(  # the province accepts a corrected report: 3亿
            connection, "ent-a", version=2,
            physical_goods_online_retail_sales=Decimal("3e8"), online_retail_sales=Decimal("3e8"),
        )  # fmt: skip
    adjustment = await subsidy(awards_pool, guizhou, "ent-a")
    async with awards_pool.acquire() as connection:
        row = await connection.fetchrow("SELECT * FROM reward_awards WHERE id = $1", adjustment)
        assert (row["kind"], row["adjusts"], row["max_fen"]) == (
            "traffic_subsidy_adjustment",
            award,
            2_500_000,
        )
        assert row["working"]["inputs"]["basis"]["report_version"] == 2
        first = await connection.fetchrow("SELECT * FROM reward_awards WHERE id = $1", award)
        assert first["max_fen"] == 12_500_000  # the first award is never rewritten
    await approve(awards_pool, adjustment, 25_000)
    with pytest.raises(AlreadyAwarded):
        await subsidy(awards_pool, guizhou, "ent-a")
    async with awards_pool.acquire() as connection:
        await accepted_report(  # corrected down to 2亿: recover 50,000
            connection, "ent-a", version=3,
            physical_goods_online_retail_sales=Decimal("2e8"), online_retail_sales=Decimal("2e8"),
        )  # fmt: skip
    recovery = await subsidy(awards_pool, guizhou, "ent-a")
    async with awards_pool.acquire() as connection:
        row = await connection.fetchrow("SELECT * FROM reward_awards WHERE id = $1", recovery)
        assert (row["status"], row["max_fen"]) == ("recovery_due", -5_000_000)
        assert ("recovery_flagged", 5_000_000) in await entries(connection, recovery)


async def test_revocation_voids_unpaid_and_flags_paid(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await budget(connection, "sales_milestone", 1_000_000)
        await listed_enterprise(connection, "ent-a", basis=Decimal("1.2e9"))
    paid = await subsidy(awards_pool, guizhou, "ent-a")
    await approve(awards_pool, paid, 10_000)
    async with awards_pool.acquire() as connection, connection.transaction():
        unpaid = await propose(
            connection, guizhou, reward_id="sales-1-billion", entity_type="enterprise",
            entity_id="ent-a", year=2024, actor="province",
        )  # fmt: skip
    assert guizhou.reward_policy is not None
    policy = guizhou.reward_policy.on_revocation
    async with awards_pool.acquire() as connection, connection.transaction():
        outcome = await ledger.on_revocation(
            connection, programme_id=guizhou.id, entity_type="enterprise", entity_id="ent-a",
            cancel_unpaid=policy.cancel_unpaid, recover_paid=policy.recover_paid,
            reason="运营不达标取消示范项目资格",
        )  # fmt: skip
    assert outcome == {"voided": [unpaid], "flagged_for_recovery": [paid]}
    async with awards_pool.acquire() as connection:
        statuses = dict(
            await connection.fetch("SELECT id, status FROM reward_awards ORDER BY proposed_at")
        )
        assert statuses == {paid: "payment_requested", unpaid: "voided"}
        assert ("recovery_flagged", 1_000_000) in await entries(connection, paid)


async def test_a_designation_reward_needs_the_designation_and_stays_within_its_cap(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async def park_reward() -> uuid.UUID:
        async with awards_pool.acquire() as connection, connection.transaction():
            return await propose(
                connection, guizhou, reward_id="park-designation", entity_type="park",
                entity_id="park-1", year=2024, actor="province",
            )  # fmt: skip

    with pytest.raises(NotEligible, match="holds no park designation"):
        await park_reward()
    async with awards_pool.acquire() as connection:
        await designated(connection, "park", "park-1", "park")
        await budget(connection, "designation", 10_000_000)
    award = await park_reward()
    with pytest.raises(AlreadyAwarded):
        await park_reward()
    with pytest.raises(ledger.OverCap):
        await approve(awards_pool, award, 3_000_001)
    await approve(awards_pool, award, 2_800_000)  # the province decides up to the cap
    async with awards_pool.acquire() as connection:
        row = await connection.fetchrow(
            "SELECT region_code, working FROM reward_awards WHERE id = $1", award
        )
        assert row["region_code"] == "520302"
        assert row["working"]["cap"] == "3000000" and row["working"]["rule"] == "park-designation"


async def test_a_corrected_report_before_approval_replaces_the_proposal(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await listed_enterprise(connection, "ent-a", basis=Decimal("2.5e8"))
    stale = await subsidy(awards_pool, guizhou, "ent-a")
    async with awards_pool.acquire() as connection:
        await accepted_report(
            connection, "ent-a", version=2, physical_goods_online_retail_sales=Decimal("3e8")
        )
    fresh = await subsidy(awards_pool, guizhou, "ent-a")
    async with awards_pool.acquire() as connection:
        assert await entries(connection, stale) == [("proposed", 12_500_000), ("voided", 0)]
        assert await entries(connection, fresh) == [("proposed", 15_000_000)]


async def outbox_events(connection: asyncpg.Connection, event_type: str) -> list[dict[str, Any]]:
    rows = await connection.fetch(
        "SELECT payload FROM outbox WHERE event_type = $1 ORDER BY id", event_type
    )
    return [json.loads(row["payload"])["data"] for row in rows]


async def test_a_payment_request_carries_what_finance_needs_to_pay(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await connection.execute(
            awards_queries.UPSERT_ENTITY, "enterprise", "ent-op", "贵州某运营有限公司", "520302",
            None, None, "91310110666007217T",
        )  # fmt: skip
        await connection.execute(
            awards_queries.UPSERT_ENTITY, "park", "park-9", "某电商产业园", "520302",
            "industrial_park", "ent-op", None,
        )  # fmt: skip
        await designated(connection, "park", "park-9", "park")
        await budget(connection, "designation", 10_000_000)
    async with awards_pool.acquire() as connection, connection.transaction():
        award = await propose(
            connection, guizhou, reward_id="park-designation", entity_type="park",
            entity_id="park-9", year=2024, actor="province",
        )  # fmt: skip
        await ledger.approve(
            connection, award, amount_fen=280_000_000, actor="province", today=TODAY,
            programme=guizhou,
        )  # fmt: skip
    async with awards_pool.acquire() as connection:
        (request,) = await outbox_events(connection, PaymentRequested.cloudevents_type())
    parsed = PaymentRequested.model_validate(request)
    # The operator (运营主体) of the park is paid; the amount approved below the award's cap.
    assert (parsed.payee_entity_id, parsed.payee_name, parsed.payee_credit_code) == (
        "ent-op", "贵州某运营有限公司", "91310110666007217T",
    )  # fmt: skip
    assert parsed.region_code == "520302"
    assert parsed.programme_title == guizhou.name
    assert parsed.legal_basis == "黔商发〔2023〕1号 四、保障措施（二）2"
    assert parsed.kind_name == "省级电子商务产业发展示范园区一次性奖励"
    assert (Decimal(parsed.amount), Decimal(parsed.max_amount or "0")) == (2_800_000, 3_000_000)


async def test_money_owed_back_is_announced_to_finance(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await listed_enterprise(connection, "ent-r", basis=Decimal("1.2e9"))
        await connection.execute(
            awards_queries.UPSERT_ENTITY, "enterprise", "ent-r", "贵州某电商有限公司", "520102",
            None, None, "91310115591693856A",
        )  # fmt: skip
    paid = await subsidy(awards_pool, guizhou, "ent-r")
    await approve(awards_pool, paid, 10_000)
    async with awards_pool.acquire() as connection, connection.transaction():
        await ledger.on_revocation(
            connection, programme_id=guizhou.id, entity_type="enterprise", entity_id="ent-r",
            cancel_unpaid=True, recover_paid=True, reason="运营不达标取消示范项目资格",
        )  # fmt: skip
    async with awards_pool.acquire() as connection:
        (due,) = await outbox_events(connection, RecoveryDue.cloudevents_type())
        key = await connection.fetchval(
            "SELECT idempotency_key FROM reward_awards WHERE id = $1", paid
        )
    owed = RecoveryDue.model_validate(due)
    assert (owed.award_id, owed.paid_award_id, owed.idempotency_key) == (str(paid), str(paid), key)
    assert Decimal(owed.amount) == 10_000 and owed.reason == "运营不达标取消示范项目资格"
    assert (owed.payee_name, owed.payee_credit_code) == ("贵州某电商有限公司", "91310115591693856A")
