"""Awards fixtures: a migrated awards database, an expert pool, application inputs, a private
time-skipping Temporal server."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from awards.config import AwardsSettings
from awards.consumers.handlers import handlers
from awards.db import MIGRATIONS_DIR, queries
from awards.handlers.rewards.finance import Outbox
from awards.workflows.types import (
    ActorData,
    Applicant,
    ApplicationStart,
    StepRequest,
    Terms,
)
from shared.db.pool import create_pool
from shared.messaging.consumer import Handler
from shared.programmes import Programme, load_programmes
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack
from tests.support.time_skipping import pinned_environment
from tests.unit.awards.conftest import PROGRAMMES

GUIZHOU = "guizhou-shibaiqianwan-2023"
PROVINCE = ActorData(subject="guizhou-province", roles=("province_admin",), region_code="520000")
ZUNYI = ActorData(subject="zunyi-bureau", roles=("city_bureau",), region_code="520300")
OPERATOR = ActorData(subject="base-operator", roles=("operator",), enterprise_ids=("ent-1",))
CREDIT = ActorData(subject="credit-platform", roles=("integrator",))
EXPERT_POOL = [
    ("e-zunyi", "遵义专家", "520300", []),  # same city as the applicant: never seated
    ("e-related", "关联专家", "520100", ["park-1"]),  # declared relation: never seated
    *((f"e-{n}", f"专家{n}", "520100", []) for n in range(7)),
]


def consumer_table(temporal: Callable[[], Awaitable[Client]]) -> dict[str, Handler]:
    """The awards consumer's handler table as ``awards.bootstrap`` builds it, with the shipped
    programmes and this test run's outbox."""
    return handlers(
        temporal, programmes=load_programmes(PROGRAMMES), outbox=Outbox.of(AwardsSettings())
    )


async def no_temporal() -> Client:
    """The consumer's Temporal client where no event handled reaches Temporal."""
    raise AssertionError("no event of this test reaches Temporal")


@pytest.fixture(scope="session")
def guizhou() -> Programme:
    return load_programmes(PROGRAMMES)[GUIZHOU]


@pytest.fixture
async def awards_db(stack: Stack) -> AsyncIterator[str]:
    dsn = await migrated_database(stack, "awards", MIGRATIONS_DIR)
    yield dsn
    await drop_database(stack, dsn)


@pytest.fixture
async def awards_pool(awards_db: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(awards_db, min_size=1, max_size=8)
    async with pool.acquire() as connection:
        for expert_id, name, region, relations in EXPERT_POOL:
            await connection.execute(
                queries.UPSERT_EXPERT, expert_id, name, region, relations, True
            )
    yield pool
    await pool.close()


def terms(guizhou: Programme, *, due_at: dt.datetime) -> Terms:
    rounds = guizhou.application_rounds
    assert rounds is not None and rounds.awarding is not None and guizhou.evaluation is not None
    awarding = rounds.awarding
    panel = awarding.expert_panel.model_copy(update={"size": 3})
    return Terms(
        programme_id=guizhou.id,
        year=2026,
        category="base",
        title=guizhou.category("base").title,
        city_review_due_at=due_at,
        panel=panel,
        indicator_system=guizhou.evaluation.indicator_system("base"),
        public_notice=awarding.public_notice,
        legal_basis=f"{awarding.legal_basis.document_number} {awarding.legal_basis.section}",
        recommend_for_national=awarding.recommend_for_national,
    )


def application_start(guizhou: Programme, *, due_at: dt.datetime) -> ApplicationStart:
    return ApplicationStart(
        application_id=str(uuid.uuid4()),
        terms=terms(guizhou, due_at=due_at),
        applicant=Applicant(
            entity_type="park",
            entity_id="park-1",
            entity_name="遵义市电商直播基地",
            region_code="520302",
            owner_enterprise_id="ent-1",
        ),
        submitted_by=OPERATOR,
        materials={"application_form": {"name": "遵义市电商直播基地"}},
    )


def card(guizhou: Programme, fraction: str) -> dict[str, Decimal]:
    assert guizhou.evaluation is not None
    system = guizhou.evaluation.indicator_system("base")
    return {i.id: i.weight * Decimal(fraction) for i in system.indicators}


def step(action: str, actor: ActorData, **fields: object) -> StepRequest:
    return StepRequest.model_validate({"action": action, "actor": actor, **fields})


def expert(subject: str) -> ActorData:
    return ActorData(subject=subject, roles=("expert",))


async def drive_to_notice(take: Any, guizhou: Programme) -> Any:
    """The shortest path to the public notice: recommend, reviews, panel, cards, approval."""
    await take(step("city_recommend", ZUNYI, rank=1))
    await take(step("record_document_review", PROVINCE, passed=True))
    await take(step("schedule_site_visit", PROVINCE, visit_on=dt.date(2026, 12, 1)))
    await take(step("record_site_visit", PROVINCE, passed=True))
    state = await take(step("assign_experts", PROVINCE))
    for member in state.panel:
        await take(step("score", expert(member), scores=card(guizhou, "0.8")))
    return await take(step("decide", PROVINCE, approve=True))


@pytest.fixture
async def environment() -> AsyncIterator[WorkflowEnvironment]:
    async with pinned_environment() as env:
        yield env
