"""What the rewards ledger takes from events, through the awards consumer's handler table:
finance's answers (redelivered: applied once), accepted reports, a revocation per the
programme's policy, cross-border enterprises excluded from the subsidy."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import asyncpg
import pytest

from awards.consumers.handlers import TOPICS
from awards.handlers.rewards.proposals import NotEligible, propose
from shared.events import default_catalog
from shared.events.designations import DesignationRevoked
from shared.events.envelope import DomainEvent
from shared.events.registry import (
    EnterpriseRegistered,
    EnterpriseStatisticsYearSet,
    EnterpriseUpdated,
    FieldChange,
)
from shared.events.rewards import PaymentFailed, PaymentReversed, PaymentSettled
from shared.events.submissions import ReportAccepted
from shared.programmes import Programme

from .conftest import consumer_table, no_temporal
from .rewards_support import (
    GUIZHOU,
    accepted_report,
    budget,
    budget_row,
    entries,
    listed_enterprise,
)
from .test_reward_ledger import approve

YI = Decimal(100_000_000)


async def handle(pool: asyncpg.Pool, event: object) -> None:
    event_type = getattr(type(event), "event_type", None) or getattr(event, "event_type")  # noqa: B009
    async with pool.acquire() as connection, connection.transaction():
        await consumer_table(no_temporal)[event_type](connection, event, None)  # type: ignore[arg-type]


def test_the_consumer_reads_the_reward_topics_and_knows_their_events() -> None:
    assert {"finance.payment", "submissions.report", "awards.designation"} <= set(TOPICS)
    catalog = default_catalog()
    for event in (PaymentSettled, PaymentFailed, PaymentReversed):
        assert catalog.knows(event.cloudevents_type()) and event.event_type in consumer_table(
            no_temporal
        )


async def subsidy(pool: asyncpg.Pool, guizhou: Programme, entity: str) -> uuid.UUID:
    async with pool.acquire() as connection, connection.transaction():
        return await propose(
            connection, guizhou, reward_id="traffic-subsidy", entity_type="enterprise",
            entity_id=entity, year=2024, actor="province",
        )  # fmt: skip


async def test_finance_answers_apply_once(awards_pool: asyncpg.Pool, guizhou: Programme) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 100_000)
        await listed_enterprise(connection, "ent-a", basis=YI)
        await listed_enterprise(connection, "ent-b", basis=YI)
    paid, failed = [await subsidy(awards_pool, guizhou, e) for e in ("ent-a", "ent-b")]
    keys = {award: (await approve(awards_pool, award, 20_000))["idempotency_key"] for award in (paid, failed)}  # fmt: skip
    settled = PaymentSettled(
        award_id=str(paid), idempotency_key=str(keys[paid]), attempt=1, amount="20000.00",
        reference="GZCZ-1",
    )  # fmt: skip
    refused = PaymentFailed(
        award_id=str(failed), idempotency_key=str(keys[failed]), attempt=1, reason="账户已销户"
    )
    for event in (settled, settled, refused, refused):  # each redelivered
        await handle(awards_pool, event)
    async with awards_pool.acquire() as connection:
        row = await budget_row(connection, "traffic_subsidy")
        assert (row["reserved_fen"], row["paid_fen"]) == (0, 2_000_000)
        assert [k for k, _ in await entries(connection, failed)][-1] == "failed"


async def test_accepted_reports_feed_the_subsidy(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    accepted = ReportAccepted(
        report_id="rep-1", window_id=f"{GUIZHOU}.annual-report.2024", designation_id="d-1",
        entity_id="ent-a", city_code="520100", version=1, accepted_by="gz",
        figures={"online_retail_sales": "300000000", "physical_goods_online_retail_sales": "3e8"},
    )  # fmt: skip
    await handle(awards_pool, accepted)
    await handle(awards_pool, accepted)  # redelivered: kept once
    async with awards_pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO enterprise_reward_facts VALUES ('ent-a', 2024, true, 'statistics')"
        )
    award = await subsidy(awards_pool, guizhou, "ent-a")
    async with awards_pool.acquire() as connection:
        assert await entries(connection, award) == [("proposed", 15_000_000)]


async def test_the_registry_statistics_list_decides_the_subsidy(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    """上规入统 comes from the registry's event, not from a hand-typed PUT."""
    async with awards_pool.acquire() as connection:
        await accepted_report(
            connection, "ent-s", physical_goods_online_retail_sales=2 * YI,
            online_retail_sales=2 * YI,
        )  # fmt: skip
    with pytest.raises(NotEligible, match="statistics list"):
        await subsidy(awards_pool, guizhou, "ent-s")
    for listed in (False, True, True):  # the last one redelivered
        await handle(
            awards_pool,
            EnterpriseStatisticsYearSet(
                enterprise_id="ent-s", year=2024, in_list=listed, set_by="gz-stats"
            ),
        )
    award = await subsidy(awards_pool, guizhou, "ent-s")
    async with awards_pool.acquire() as connection:
        assert await entries(connection, award) == [("proposed", 10_000_000)]
        fact = await connection.fetchrow(
            "SELECT in_statistics_list, reported_by FROM enterprise_reward_facts "
            "WHERE entity_id = 'ent-s' AND year = 2024"
        )
        assert (fact["in_statistics_list"], fact["reported_by"]) == (True, "registry:gz-stats")


async def test_cross_border_enterprises_get_no_subsidy(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await listed_enterprise(connection, "ent-x", basis=5 * YI)
    await handle(
        awards_pool,
        EnterpriseRegistered(
            enterprise_id="ent-x", credit_code="91310110666007217T", name="跨境",
            region_code="520100", kinds=["retailer"],
        ),
    )  # fmt: skip
    await handle(
        awards_pool,
        EnterpriseUpdated(
            enterprise_id="ent-x", version=2,
            changes={"kinds": FieldChange(old=["retailer"], new=["retailer", "cross_border"])},
        ),
    )  # fmt: skip
    with pytest.raises(NotEligible, match="cross-border"):
        await subsidy(awards_pool, guizhou, "ent-x")


async def test_a_revocation_applies_the_programme_policy(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await listed_enterprise(connection, "ent-a", basis=YI)
    award = await subsidy(awards_pool, guizhou, "ent-a")
    revoked: DomainEvent = DesignationRevoked(
        designation_id="d-1", programme_id=GUIZHOU, category="enterprise",
        entity_type="enterprise", entity_id="ent-a", region_code="520100",
        revoked_on=dt.date(2025, 6, 1), reason="年度评价不达标",
    )  # fmt: skip
    await handle(awards_pool, revoked)
    await handle(awards_pool, revoked)
    async with awards_pool.acquire() as connection:
        status = await connection.fetchval("SELECT status FROM reward_awards WHERE id = $1", award)
        assert status == "voided"
        assert [k for k, _ in await entries(connection, award)] == ["proposed", "voided"]


def corrected(entity: str, version: int, **figures: str) -> ReportAccepted:
    return ReportAccepted(
        report_id=f"rep-{entity}", window_id=f"{GUIZHOU}.annual-report.2024",
        designation_id=f"d-{entity}", entity_id=entity, city_code="520100", version=version,
        accepted_by="gz", figures=figures,
    )  # fmt: skip


async def adjustments(pool: asyncpg.Pool, entity: str) -> list[asyncpg.Record]:
    async with pool.acquire() as connection:
        return list(
            await connection.fetch(
                "SELECT * FROM reward_awards WHERE entity_id = $1 AND kind LIKE '%adjustment' "
                "ORDER BY proposed_at",
                entity,
            )
        )


async def test_a_corrected_report_adjusts_a_requested_subsidy_at_once(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await connection.execute(
            "INSERT INTO enterprise_reward_facts VALUES ('ent-c', 2024, true, 'registry:gz')"
        )
    basis = "physical_goods_online_retail_sales"
    await handle(awards_pool, corrected("ent-c", 1, **{basis: "2.5e8"}))
    award = await subsidy(awards_pool, guizhou, "ent-c")
    await handle(awards_pool, corrected("ent-c", 1, **{basis: "2.5e8"}))  # redelivered: nothing
    assert await adjustments(awards_pool, "ent-c") == []
    await approve(awards_pool, award, 125_000)
    for _ in range(2):  # redelivered: one adjustment
        await handle(awards_pool, corrected("ent-c", 2, **{basis: "3e8"}))
    (up,) = await adjustments(awards_pool, "ent-c")
    assert (up["adjusts"], up["status"], up["max_fen"]) == (award, "proposed", 2_500_000)
    assert up["working"]["inputs"]["previous_report_version"] == 1
    assert up["working"]["inputs"]["basis"]["report_version"] == 2
    # Corrected again, below 1亿 before the +25,000 was approved: that one is superseded, and
    # the whole 125,000 paid is owed back.
    await handle(awards_pool, corrected("ent-c", 3, **{basis: "0.5e8"}))
    first, down = await adjustments(awards_pool, "ent-c")
    assert first["status"] == "voided"
    assert (down["status"], down["max_fen"], down["report_version"]) == (
        "recovery_due", -12_500_000, 3,
    )  # fmt: skip
    assert down["working"]["inputs"]["previous_report_version"] == 2
    async with awards_pool.acquire() as connection:
        assert ("recovery_flagged", 12_500_000) in await entries(connection, down["id"])


async def test_a_corrected_report_below_a_paid_milestone_flags_its_recovery(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "sales_milestone", 5_000_000)
    await handle(awards_pool, corrected("ent-m", 1, online_retail_sales="1.2e9"))
    async with awards_pool.acquire() as connection, connection.transaction():
        award = await propose(
            connection, guizhou, reward_id="sales-1-billion", entity_type="enterprise",
            entity_id="ent-m", year=2024, actor="province",
        )  # fmt: skip
    await approve(awards_pool, award, 1_000_000)
    await handle(awards_pool, corrected("ent-m", 2, online_retail_sales="1.1e9"))  # still reached
    assert await adjustments(awards_pool, "ent-m") == []
    for _ in range(2):
        await handle(awards_pool, corrected("ent-m", 3, online_retail_sales="0.9e9"))
    (down,) = await adjustments(awards_pool, "ent-m")
    assert (down["kind"], down["adjusts"], down["status"], down["max_fen"]) == (
        "sales_milestone_adjustment", award, "recovery_due", -100_000_000,
    )  # fmt: skip
    working = down["working"]["inputs"]
    assert working["previous_report_version"] == 1 and working["sales"]["report_version"] == 3
    async with awards_pool.acquire() as connection:
        assert ("recovery_flagged", 100_000_000) in await entries(connection, down["id"])


async def test_finance_reports_money_back_on_the_payment_topic(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    """A corrected report owes 50,000 back (at once); finance's ``payment.reversed`` for the
    paid award records it on the adjustment that owes it, once however often it is delivered."""
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await connection.execute(
            "INSERT INTO enterprise_reward_facts VALUES ('ent-f', 2024, true, 'registry:gz')"
        )
    basis = "physical_goods_online_retail_sales"
    await handle(awards_pool, corrected("ent-f", 1, **{basis: "3e8"}))
    award = await subsidy(awards_pool, guizhou, "ent-f")
    key = str((await approve(awards_pool, award, 150_000))["idempotency_key"])
    await handle(
        awards_pool,
        PaymentSettled(
            award_id=str(award), idempotency_key=key, attempt=1, amount="150000.00",
            reference="GZCZ-9",
        ),
    )  # fmt: skip
    await handle(awards_pool, corrected("ent-f", 2, **{basis: "2e8"}))
    (owed,) = await adjustments(awards_pool, "ent-f")
    too_much = PaymentReversed(
        award_id=str(award), idempotency_key=key, attempt=1, amount="60000.00",
        reference="GZ-JK-6",
    )  # fmt: skip
    await handle(awards_pool, too_much)  # refused and logged: nothing recorded
    back = too_much.model_copy(update={"amount": "50000.00", "reference": "GZ-JK-7"})
    for _ in range(2):  # finance sends it twice (two event ids): recorded once
        await handle(awards_pool, back)
    async with awards_pool.acquire() as connection:
        assert [e for e in await entries(connection, owed["id"]) if e[0] == "reversed"] == [
            ("reversed", 5_000_000)
        ]
        status = await connection.fetchval(
            "SELECT status FROM reward_awards WHERE id = $1", owed["id"]
        )
        assert status == "recovered"
        assert (await budget_row(connection, "traffic_subsidy"))["paid_fen"] == 10_000_000


async def test_a_corrected_report_after_a_revocation_adjusts_nothing(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    """Flagged for 追回 by a revocation: a later correction must not propose money again."""
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await connection.execute(
            "INSERT INTO enterprise_reward_facts VALUES ('ent-v', 2024, true, 'registry:gz')"
        )
    basis = "physical_goods_online_retail_sales"
    await handle(awards_pool, corrected("ent-v", 1, **{basis: "2e8"}))
    award = await subsidy(awards_pool, guizhou, "ent-v")
    await approve(awards_pool, award, 100_000)
    await handle(
        awards_pool,
        DesignationRevoked(
            designation_id="d-ent-v", programme_id=GUIZHOU, category="enterprise",
            entity_type="enterprise", entity_id="ent-v", region_code="520100",
            revoked_on=dt.date(2025, 6, 1), reason="年度评价不达标",
        ),
    )  # fmt: skip
    await handle(awards_pool, corrected("ent-v", 2, **{basis: "3e8"}))
    assert await adjustments(awards_pool, "ent-v") == []
    with pytest.raises(NotEligible, match="recovery"):
        await subsidy(awards_pool, guizhou, "ent-v")
