"""What remains of an award approved for less than its amount: once finance settled the
approved payment, the province requests the rest as a new award (approved like any other,
within the same cap and budget) or waives it (an entry and an event for finance); one
decision per award, never before the payment settled, never when nothing remains."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from awards.handlers.rewards import ledger
from awards.handlers.rewards.proposals import propose
from awards.handlers.rewards.remainder import (
    NothingRemains,
    NotSettled,
    RemainderDecided,
    decide_remainder,
)
from awards.handlers.rewards.views import reward
from shared.events.rewards import PaymentRequested, RecoveryDue, RemainderWaived
from shared.programmes import Programme

from .rewards_support import (
    accepted_report,
    budget,
    budget_row,
    designated,
    entries,
    listed_enterprise,
)

TODAY = dt.date(2025, 3, 1)


async def approve(pool: asyncpg.Pool, award_id: uuid.UUID, fen: int) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await ledger.approve(connection, award_id, amount_fen=fen, actor="province", today=TODAY)


async def settle(pool: asyncpg.Pool, award_id: uuid.UUID) -> None:
    async with pool.acquire() as connection, connection.transaction():
        key = await connection.fetchval(
            "SELECT idempotency_key FROM reward_awards WHERE id = $1", award_id
        )
        attempt = await connection.fetchval(
            "SELECT max(attempt) FROM reward_entries WHERE award_id = $1", award_id
        )
        assert await ledger.record_answer(
            connection, award_id=award_id, idempotency_key=key, attempt=attempt, settled=True,
            reference=f"FIN-{award_id}",
        )  # fmt: skip


async def decide(
    pool: asyncpg.Pool, award_id: uuid.UUID, decision: str, reason: str = "预算不足"
) -> uuid.UUID | None:
    async with pool.acquire() as connection, connection.transaction():
        return await decide_remainder(
            connection, award_id, decision=decision, reason=reason, actor="province"
        )


async def park_award(pool: asyncpg.Pool, guizhou: Programme) -> uuid.UUID:
    async with pool.acquire() as connection:
        await designated(connection, "park", "park-r", "park")
        await budget(connection, "designation", 10_000_000)
    async with pool.acquire() as connection, connection.transaction():
        return await propose(
            connection, guizhou, reward_id="park-designation", entity_type="park",
            entity_id="park-r", year=2024, actor="province",
        )  # fmt: skip


async def events(connection: asyncpg.Connection, event_type: str) -> list[dict[str, Any]]:
    rows = await connection.fetch(
        "SELECT payload FROM outbox WHERE event_type = $1 ORDER BY id", event_type
    )
    return [json.loads(row["payload"])["data"] for row in rows]


async def test_a_requested_remainder_is_approvable_up_to_the_rest_and_never_beyond_the_cap(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    original = await park_award(awards_pool, guizhou)  # 300万, the park's one-time cap
    await approve(awards_pool, original, 200_000_000)  # the budget was short: 200万 approved
    with pytest.raises(NotSettled):
        await decide(awards_pool, original, "request")  # the approved payment may still fail
    await settle(awards_pool, original)
    rest = await decide(awards_pool, original, "request")
    assert rest is not None
    async with awards_pool.acquire() as connection:
        first = await connection.fetchrow("SELECT * FROM reward_awards WHERE id = $1", original)
        new = await connection.fetchrow("SELECT * FROM reward_awards WHERE id = $1", rest)
        assert await entries(connection, original) == [
            ("proposed", 300_000_000), ("reserved", 200_000_000),
            ("payment_requested", 200_000_000), ("settled", 200_000_000),
            ("remainder_requested", 100_000_000),
        ]  # fmt: skip
        assert await entries(connection, rest) == [("proposed", 100_000_000)]
    assert (new["kind"], new["adjusts"], new["max_fen"], new["status"]) == (
        "designation_remainder", original, 100_000_000, "proposed",
    )  # fmt: skip
    assert new["idempotency_key"] == f"{first['idempotency_key']}:remainder"
    same = ("programme_id", "reward_id", "entity_type", "entity_id", "year", "tier", "region_code")
    assert all(new[column] == first[column] for column in same)
    assert (new["cap_group"], new["cap_year"], new["cap_fen"]) == (
        first["cap_group"], first["cap_year"], first["cap_fen"],
    )  # fmt: skip
    assert new["working"]["remainder_of"] == str(original)

    with pytest.raises(ledger.OverCap):
        await approve(awards_pool, rest, 100_000_001)
    await approve(awards_pool, rest, 100_000_000)
    async with awards_pool.acquire() as connection:
        cap = await connection.fetchrow(
            "SELECT * FROM reward_caps WHERE entity_id = 'park-r' AND cap_group = $1",
            first["cap_group"],
        )
        assert (cap["reserved_fen"], cap["paid_fen"], cap["cap_fen"]) == (
            100_000_000, 200_000_000, 300_000_000,
        )  # fmt: skip
        designation_budget = await budget_row(connection, "designation")
        assert (designation_budget["reserved_fen"], designation_budget["paid_fen"]) == (
            100_000_000, 200_000_000,
        )  # fmt: skip
        (_, second) = await events(connection, PaymentRequested.cloudevents_type())
        shown = await reward(connection, original)
    request = PaymentRequested.model_validate(second)
    assert request.idempotency_key == f"{first['idempotency_key']}:remainder"
    assert (request.kind, Decimal(request.amount)) == ("designation_remainder", 1_000_000)
    assert shown is not None
    assert (shown.approved, shown.remaining) == (Decimal("2000000.00"), Decimal("1000000.00"))
    assert (shown.remainder.status, shown.remainder.award_id) == ("requested", rest)
    with pytest.raises(RemainderDecided):
        await decide(awards_pool, original, "waive")


async def test_the_cap_still_holds_when_the_entity_was_paid_more_meanwhile(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    original = await park_award(awards_pool, guizhou)
    await approve(awards_pool, original, 200_000_000)
    await settle(awards_pool, original)
    rest = await decide(awards_pool, original, "request")
    assert rest is not None
    async with awards_pool.acquire() as connection:
        # Whatever else drew on the park's cap (here written straight to the row) counts.
        await connection.execute(
            "UPDATE reward_caps SET paid_fen = paid_fen + 1 WHERE entity_id = 'park-r'"
        )
    with pytest.raises(ledger.EntityCapReached):
        await approve(awards_pool, rest, 100_000_000)
    await approve(awards_pool, rest, 99_999_999)


async def test_a_waived_remainder_is_an_entry_and_an_event_and_decided_once(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await listed_enterprise(connection, "ent-w", basis=Decimal("2.5e8"))  # 125,000
    async with awards_pool.acquire() as connection, connection.transaction():
        award = await propose(
            connection, guizhou, reward_id="traffic-subsidy", entity_type="enterprise",
            entity_id="ent-w", year=2024, actor="province",
        )  # fmt: skip
    await approve(awards_pool, award, 10_000_000)
    await settle(awards_pool, award)
    assert await decide(awards_pool, award, "waive", "专项资金不足，余额不再拨付") is None
    with pytest.raises(RemainderDecided):
        await decide(awards_pool, award, "waive")
    with pytest.raises(RemainderDecided):
        await decide(awards_pool, award, "request")
    async with awards_pool.acquire() as connection:
        assert (await entries(connection, award))[-1] == ("remainder_waived", 2_500_000)
        (waived,) = await events(connection, RemainderWaived.cloudevents_type())
        key = await connection.fetchval(
            "SELECT idempotency_key FROM reward_awards WHERE id = $1", award
        )
        shown = await reward(connection, award)
        remainders = await connection.fetchval(
            "SELECT count(*) FROM reward_awards WHERE adjusts = $1", award
        )
    event = RemainderWaived.model_validate(waived)
    assert (event.award_id, event.idempotency_key, event.waived_by) == (str(award), key, "province")
    assert (Decimal(event.max_amount), Decimal(event.approved), Decimal(event.waived)) == (
        125_000, 100_000, 25_000,
    )  # fmt: skip
    assert event.reason == "专项资金不足，余额不再拨付"
    assert shown is not None and remainders == 0
    assert shown.remaining == Decimal("25000.00")
    assert (shown.remainder.status, shown.remainder.reason) == (
        "waived", "专项资金不足，余额不再拨付",
    )  # fmt: skip


async def test_nothing_to_decide_when_nothing_remains_or_nothing_is_settled(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        for entity in ("ent-full", "ent-open"):
            await listed_enterprise(connection, entity, basis=Decimal("2.5e8"))
    awards = []
    for entity in ("ent-full", "ent-open"):
        async with awards_pool.acquire() as connection, connection.transaction():
            award = await propose(
                connection, guizhou, reward_id="traffic-subsidy", entity_type="enterprise",
                entity_id=entity, year=2024, actor="province",
            )  # fmt: skip
        awards.append(award)
    full, open_ = awards
    with pytest.raises(NotSettled):
        await decide(awards_pool, open_, "waive")  # only proposed
    await approve(awards_pool, full, 12_500_000)
    await settle(awards_pool, full)
    with pytest.raises(NothingRemains):
        await decide(awards_pool, full, "request")
    async with awards_pool.acquire() as connection:
        shown = await reward(connection, full)
        untouched = await reward(connection, open_)
    assert shown is not None and shown.remaining == Decimal("0.00")
    assert shown.remainder.status == "none"
    assert untouched is not None and untouched.remaining is None  # nothing approved yet


async def test_a_remainder_is_not_split_again_and_the_database_keeps_one_decision(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    original = await park_award(awards_pool, guizhou)
    await approve(awards_pool, original, 200_000_000)
    await settle(awards_pool, original)
    rest = await decide(awards_pool, original, "request")
    assert rest is not None
    await approve(awards_pool, rest, 50_000_000)
    await settle(awards_pool, rest)
    with pytest.raises(ledger.WrongState):
        await decide(awards_pool, rest, "request")
    async with awards_pool.acquire() as connection:
        with pytest.raises(asyncpg.UniqueViolationError):
            await connection.execute(
                "INSERT INTO reward_entries (award_id, attempt, kind, amount_fen, actor) "
                "VALUES ($1, 9, 'remainder_waived', 1, 'x')",
                original,
            )


async def test_a_revocation_flags_the_remainder_under_its_own_payment(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    original = await park_award(awards_pool, guizhou)
    await approve(awards_pool, original, 200_000_000)
    await settle(awards_pool, original)
    rest = await decide(awards_pool, original, "request")
    assert rest is not None
    await approve(awards_pool, rest, 100_000_000)
    async with awards_pool.acquire() as connection, connection.transaction():
        await ledger.on_revocation(
            connection, programme_id=guizhou.id, entity_type="park", entity_id="park-r",
            cancel_unpaid=True, recover_paid=True, reason="取消示范资格",
        )  # fmt: skip
    async with awards_pool.acquire() as connection:
        due = {
            event["award_id"]: event
            for event in await events(connection, RecoveryDue.cloudevents_type())
        }
        keys = dict(
            await connection.fetch(
                "SELECT id::text, idempotency_key FROM reward_awards WHERE id = ANY($1::uuid[])",
                [original, rest],
            )
        )
    assert due[str(rest)]["paid_award_id"] == str(rest)  # paid under its own key
    assert due[str(rest)]["idempotency_key"] == keys[str(rest)]
    assert Decimal(due[str(rest)]["amount"]) == 1_000_000
    assert due[str(original)]["paid_award_id"] == str(original)


async def test_a_corrected_report_supersedes_a_remainder_not_yet_approved(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await listed_enterprise(connection, "ent-c", basis=Decimal("2.5e8"))  # 125,000
    async with awards_pool.acquire() as connection, connection.transaction():
        award = await propose(
            connection, guizhou, reward_id="traffic-subsidy", entity_type="enterprise",
            entity_id="ent-c", year=2024, actor="province",
        )  # fmt: skip
    await approve(awards_pool, award, 10_000_000)
    await settle(awards_pool, award)
    rest = await decide(awards_pool, award, "request")
    assert rest is not None
    async with awards_pool.acquire() as connection:
        await accepted_report(
            connection, "ent-c", version=2, physical_goods_online_retail_sales=Decimal("3e8")
        )
    async with awards_pool.acquire() as connection, connection.transaction():
        adjustment = await propose(
            connection, guizhou, reward_id="traffic-subsidy", entity_type="enterprise",
            entity_id="ent-c", year=2024, actor="province",
        )  # fmt: skip
    async with awards_pool.acquire() as connection:
        # The adjustment pays the corrected 150,000 less the 100,000 paid: the rest is in it,
        # so the remainder computed on the old figures is voided rather than paid as well.
        assert (await entries(connection, rest))[-1] == ("voided", 0)
        assert await entries(connection, adjustment) == [("proposed", 5_000_000)]
