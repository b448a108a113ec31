"""A province's revision reaches awards without a restart (docs/programmes.md, "Revisions"):
Guizhou's rounds end with the targets in 2025; the province revises the programme through the
registry API (a real token) to run a 2026 round; the event goes out through the registry's
outbox and Kafka; the awards consumer keeps it; the running awards API's catalogue takes it,
and an operator's 2026 application, refused before, is taken."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from awards.config import AwardsSettings
from awards.consumers.registry import on_registered
from shared.china_time import CHINA
from shared.events.registry import ParkRegistered
from tests.integration.awards.conftest import PROGRAMMES, consumer_table, no_temporal
from tests.integration.awards.served import served_awards
from tests.support.programme_revisions import (
    GUIZHOU,
    add_2026_round,
    consume_revisions,
    publish_outbox,
    registry_service,
    revise,
)
from tests.support.stack import Stack
from tests.support.time_skipping import pinned_environment

# Within the 2026 round by its yearly calendar (1 March to 30 April, China time).
IN_THE_ROUND = dt.datetime(2026, 3, 16, 9, 0, tzinfo=CHINA)


@pytest.fixture
async def pinned() -> AsyncIterator[WorkflowEnvironment]:
    async with pinned_environment(start=IN_THE_ROUND) as env:
        yield env


@pytest.fixture
async def awards_api(
    stack: Stack,
    awards_db: str,
    awards_pool: asyncpg.Pool,
    pinned: WorkflowEnvironment,
    signing_keys: tuple[str, str],
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """The awards API on the shipped programme files, taking revisions as it runs."""
    task_queue = f"awards-rev-{uuid.uuid4().hex[:8]}"
    settings = AwardsSettings(
        environment="test",
        database_url=awards_db,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        temporal_target=stack.temporal_target,
        jwt_public_key=signing_keys[1],
        programmes_dir=PROGRAMMES,
        programme_refresh_seconds=0.2,
        task_queue=task_queue,
        search_attributes=False,  # the time-skipping server cannot register ours
    )
    async with served_awards(settings, pinned.client, awards_pool, lambda: IN_THE_ROUND) as served:
        yield served


async def register_base(pool: asyncpg.Pool) -> None:
    event = ParkRegistered(
        park_id="base-2026",
        kind="live_base",
        name="遵义市电商直播基地",
        region_code="520302",
        operator_enterprise_id="ent-1",
    )
    async with pool.acquire() as connection, connection.transaction():
        await on_registered(connection, event, None)  # type: ignore[arg-type]


def operator(token_for: Callable[..., str]) -> dict[str, str]:
    token = token_for(roles=["operator"], subject="op", enterprise_ids=["ent-1"])
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}


APPLICATION: dict[str, Any] = {
    "programme_id": GUIZHOU,
    "year": 2026,
    "category": "base",
    "entity_type": "park",
    "entity_id": "base-2026",
    "materials": {
        "application_form": {"name": "遵义市电商直播基地"},
        "written_application": "申报书.pdf",
    },
}


async def test_a_revision_adding_a_2026_round_lets_an_operator_apply(
    stack: Stack,
    topic_prefix: str,
    signing_keys: tuple[str, str],
    token_for: Callable[..., str],
    awards_pool: asyncpg.Pool,
    awards_api: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, app = awards_api
    await register_base(awards_pool)
    before = await client.post("/v1/applications", json=APPLICATION, headers=operator(token_for))
    assert before.status_code == 422 and before.json()["code"] == "no_such_round", before.text

    prefix = f"{topic_prefix}round{uuid.uuid4().hex[:6]}."
    province = {
        "Authorization": f"Bearer {token_for(roles=['province_admin'], region_code='520000')}"
    }
    async with registry_service(stack, prefix=prefix, public_key=signing_keys[1]) as (
        registry,
        registry_dsn,
    ):
        revised = revise(registry, province, add_2026_round, reason="2026 年度申报通知")
        assert revised.status_code == 200, revised.text
        revision = revised.json()["revision"]
        assert await publish_outbox(stack, registry_dsn) >= 1

    async def the_api_has_it() -> bool:
        # the running API's catalogue, refreshed from what the consumer kept: no restart
        return bool(app.state.programmes.revision(GUIZHOU) == revision)

    await consume_revisions(
        stack,
        awards_pool,
        name="awards",
        prefix=prefix,
        done=the_api_has_it,
        handlers=consumer_table(no_temporal),
    )
    kept = await awards_pool.fetchval(
        "SELECT revision FROM programme_definitions WHERE programme_id = $1", GUIZHOU
    )
    assert kept == revision
    after = await client.post("/v1/applications", json=APPLICATION, headers=operator(token_for))
    assert after.status_code == 201, after.text
    year = await awards_pool.fetchval(
        "SELECT year FROM applications WHERE id = $1", uuid.UUID(after.json()["id"])
    )
    assert year == 2026
