"""What the rewards ledger takes from events, through the awards consumer's handler table:
finance's answers (redelivered: applied once), accepted reports, a revocation per the
programme's policy, cross-border enterprises excluded from the subsidy."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import asyncpg
import pytest

from awards.consumers.handlers import TOPICS, handlers
from awards.rewards.proposals import NotEligible, propose
from shared.events import default_catalog
from shared.events.designations import DesignationRevoked
from shared.events.envelope import DomainEvent
from shared.events.registry import EnterpriseRegistered, EnterpriseUpdated, FieldChange
from shared.events.rewards import PaymentFailed, PaymentSettled
from shared.events.submissions import ReportAccepted
from shared.programmes import Programme

from .rewards_support import GUIZHOU, budget, budget_row, entries, listed_enterprise
from .test_reward_ledger import approve

YI = Decimal(100_000_000)


async def handle(pool: asyncpg.Pool, event: object) -> None:
    event_type = getattr(type(event), "event_type", None) or getattr(event, "event_type")  # noqa: B009
    async with pool.acquire() as connection, connection.transaction():
        await handlers()[event_type](connection, event, None)  # type: ignore[arg-type]


def test_the_consumer_reads_the_reward_topics_and_knows_their_events() -> None:
    assert {"finance.payment", "submissions.report", "awards.designation"} <= set(TOPICS)
    catalog = default_catalog()
    for event in (PaymentSettled, PaymentFailed):
        assert catalog.knows(event.cloudevents_type()) and event.event_type in handlers()


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
