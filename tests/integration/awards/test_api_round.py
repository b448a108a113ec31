"""The REST API drives an application from submission to designation on the time-skipping
server, with the worker's real activities: refused steps are problem+json and never enter the
history; what waits for whom; the public list; a credit record stops an application."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from awards.config import AwardsSettings
from awards.consumers.registry import on_registered
from awards.handlers.steps import StepTargets
from shared.events.registry import ParkRegistered
from tests.integration.awards.conftest import PROGRAMMES, card
from tests.integration.awards.served import served_awards
from tests.support.stack import Stack
from tests.support.time_skipping import PINNED_START, clock_from


def programmes_open_now(directory: Path) -> Path:
    """Guizhou's file with its period carried to 2027 and a 2026 round open all year, so a
    round is open on today's clock (the shipped rounds ended in 2025)."""
    text = (PROGRAMMES / "guizhou-shibaiqianwan-2023.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "period:\n  start: 2023-01-06\n  end: 2025-12-31",
        "period:\n  start: 2023-01-06\n  end: 2027-12-31",
    )
    text = text.replace(
        "    overrides: []\n    category_rules:",
        "    overrides:\n      - {year: 2026, opens_on: 2026-01-01, closes_on: 2026-12-31, city_review_due_on: 2026-12-31}\n    category_rules:",
    )
    (directory / "guizhou.yaml").write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
async def api(
    tmp_path: Path,
    stack: Stack,
    awards_db: str,
    awards_pool: asyncpg.Pool,
    environment: WorkflowEnvironment,
    signing_keys: tuple[str, str],
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    task_queue = f"awards-api-{uuid.uuid4().hex[:8]}"
    settings = AwardsSettings(
        environment="test",
        database_url=awards_db,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        temporal_target=stack.temporal_target,
        jwt_public_key=signing_keys[1],
        programmes_dir=programmes_open_now(tmp_path),
        task_queue=task_queue,
        search_attributes=False,  # the time-skipping server cannot register ours
    )
    # the time-skipping server, not the dev one
    async with served_awards(
        settings, environment.client, awards_pool, clock_from(PINNED_START)
    ) as served:  # the round is judged on the server's day
        yield served


async def register_park(pool: asyncpg.Pool) -> None:
    event = ParkRegistered(
        park_id="park-1",
        kind="live_base",
        name="遵义市电商直播基地",
        region_code="520302",
        operator_enterprise_id="ent-1",
    )
    async with pool.acquire() as connection, connection.transaction():
        await on_registered(connection, event, None)  # type: ignore[arg-type]


def headers(token_for: Callable[..., str], **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(**claims)}", "Idempotency-Key": str(uuid.uuid4())}


async def test_the_rest_api_drives_a_round_to_designation(
    api: tuple[httpx.AsyncClient, FastAPI],
    awards_pool: asyncpg.Pool,
    environment: WorkflowEnvironment,
    token_for: Callable[..., str],
    guizhou: Any,
) -> None:
    client, app = api
    await register_park(awards_pool)
    operator = dict(roles=["operator"], subject="op", enterprise_ids=["ent-1"])
    city = dict(roles=["city_bureau"], region_code="520300", subject="zunyi")
    province = dict(roles=["province_admin"], region_code="520000", subject="gz")
    body = {
        "programme_id": "guizhou-shibaiqianwan-2023",
        "year": 2026,
        "category": "base",
        "entity_type": "park",
        "entity_id": "park-1",
        "materials": {
            "application_form": {"name": "遵义市电商直播基地"},
            "written_application": "申报书.pdf",
        },
    }
    # another operator may not apply for this park
    refused = await client.post(
        "/v1/applications",
        json=body,
        headers=headers(token_for, roles=["operator"], enterprise_ids=["ent-9"]),
    )
    assert refused.status_code == 403
    missing = await client.post(
        "/v1/applications", json={**body, "materials": {}}, headers=headers(token_for, **operator)
    )
    assert missing.status_code == 422 and "application_form" in missing.json()["missing"]

    submit_headers = headers(token_for, **operator)
    created = await client.post("/v1/applications", json=body, headers=submit_headers)
    assert created.status_code == 201, created.text
    application_id = created.json()["id"]
    # the submission told the steps what they need of the application, as its row has it
    async with awards_pool.acquire() as connection:
        row = await connection.fetchrow(
            "SELECT workflow_id, region_code, owner_enterprise_id FROM applications WHERE id = $1",
            uuid.UUID(application_id),
        )
    targets: StepTargets = app.state.step_targets
    assert targets.facts(uuid.UUID(application_id)) == dict(row)
    # a retried submission (a new key) reaches the same workflow
    again = await client.post("/v1/applications", json=body, headers=headers(token_for, **operator))
    assert again.status_code == 201 and again.json()["id"] == application_id

    waiting = await client.get("/v1/applications/waiting", headers=headers(token_for, **city))
    assert [a["id"] for a in waiting.json()["items"]] == [application_id]
    other_city = await client.get(
        "/v1/applications/waiting",
        headers=headers(token_for, roles=["city_bureau"], region_code="520100"),
    )
    assert other_city.json()["items"] == []

    async def step(claims: dict[str, Any], **fields: Any) -> httpx.Response:
        return await client.post(
            f"/v1/applications/{application_id}/steps",
            json=fields,
            headers=headers(token_for, **claims),
        )

    wrong = await step(province, action="decide", approve=True)
    assert wrong.status_code == 409 and wrong.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert (
        await step(
            dict(roles=["city_bureau"], region_code="520100"), action="city_recommend", rank=1
        )
    ).status_code in (403, 404)
    assert (await step(city, action="city_recommend")).status_code == 422  # no rank
    assert (await step(city, action="city_recommend", rank=2)).status_code == 200
    assert (await step(province, action="record_document_review", passed=True)).status_code == 200
    assert (
        await step(province, action="schedule_site_visit", visit_on="2026-12-01")
    ).status_code == 200
    assert (await step(province, action="record_site_visit", passed=True)).status_code == 200
    panel = (await step(province, action="assign_experts")).json()["panel"]
    assert len(panel) == 5
    for expert in panel:
        scored = await step(
            dict(roles=["expert"], subject=expert),
            action="score",
            scores={k: str(v) for k, v in card(guizhou, "0.8").items()},
        )
        assert scored.status_code == 200, scored.text
    decided = await step(province, action="decide", approve=True)
    assert decided.status_code == 200 and decided.json()["stage"] == "public_notice"
    last_day = dt.date.fromisoformat(decided.json()["notice_last_day"])

    now = await environment.get_current_time()
    ends = dt.datetime.combine(last_day, dt.time(16), dt.UTC)
    await environment.sleep(ends - now + timedelta(minutes=1))
    handle = environment.client.get_workflow_handle(f"awards-application-{application_id}")
    await handle.result()

    detail = await client.get(
        f"/v1/applications/{application_id}", headers=headers(token_for, **city)
    )
    assert detail.json()["stage"] == "designated"
    assert [s["step"] for s in detail.json()["timeline"]][-1] == "designate"
    # the refused steps never entered the history: the updates accepted are the steps taken
    accepted = [
        event
        for event in (await handle.fetch_history()).events
        if event.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert len(accepted) == 1 + 5 + 5 + 1  # submit, city to experts, five cards, decide
    # every step is audited in its own transaction, by the person who took it
    async with awards_pool.acquire() as connection:
        audited = await connection.fetch(
            "SELECT action, actor_subject, request_id, client_ip FROM audit_log "
            "WHERE resource_id = $1 ORDER BY seq",
            application_id,
        )
    actions = [row["action"] for row in audited]
    assert actions[0] == "application.submitted" and actions[-1] == "application.designate"
    recommend = next(row for row in audited if row["action"] == "application.city_recommend")
    assert recommend["actor_subject"] == "zunyi" and recommend["request_id"]
    assert len(actions) == len(set(actions)) + 4  # five score rows, once each
    listed = await client.get(
        "/v1/designations",
        params={"region_code": "520300", "year": 2026},
        headers=headers(token_for, roles=["operator"], enterprise_ids=["ent-9"]),  # anyone
    )
    (designation,) = listed.json()["items"]
    assert designation["title"] == "贵州省电子商务直播示范基地"
    assert designation["recommended_for_national"] is True
    assert designation["legal_basis"].startswith("黔商发〔2023〕1号")


async def test_a_credit_record_stops_an_application_in_progress(
    api: tuple[httpx.AsyncClient, FastAPI],
    awards_pool: asyncpg.Pool,
    token_for: Callable[..., str],
) -> None:
    client, _ = api
    await register_park(awards_pool)
    body = {
        "programme_id": "guizhou-shibaiqianwan-2023",
        "year": 2026,
        "category": "base",
        "entity_type": "park",
        "entity_id": "park-1",
        "materials": {"application_form": {"name": "x"}, "written_application": "申报书.pdf"},
    }
    operator = dict(roles=["operator"], subject="op", enterprise_ids=["ent-1"])
    created = await client.post(
        "/v1/applications", json=body, headers=headers(token_for, **operator)
    )
    application_id = created.json()["id"]
    record = {
        "record_id": "cr-1",
        "entity_id": "park-1",
        "kind": "dishonest_entity",
        "valid_from": "2026-01-01",
        "source_document": "信用中国 失信被执行人名单",
    }
    not_integrator = await client.post(
        "/v1/credit-records",
        json=record,
        headers=headers(token_for, roles=["province_admin"], region_code="520000"),
    )
    assert not_integrator.status_code == 403
    reported = await client.post(
        "/v1/credit-records",
        json=record,
        headers=headers(token_for, roles=["integrator"], grants=["write"]),
    )
    assert reported.status_code == 201, reported.text
    assert reported.json()["stopped_applications"] == [application_id]
    city = dict(roles=["city_bureau"], region_code="520300", subject="zunyi")
    detail = await client.get(
        f"/v1/applications/{application_id}", headers=headers(token_for, **city)
    )
    assert detail.json()["stage"] == "stopped"
    assert "信用中国" in detail.json()["timeline"][-1]["reason"]
    # the stop and the record are both audited (the record last: it waited for the stop)
    async with awards_pool.acquire() as connection:
        audited = await connection.fetch(
            "SELECT action, actor_subject, details FROM audit_log "
            "WHERE action IN ('application.stop', 'credit_record.reported') ORDER BY seq"
        )
    assert [row["action"] for row in audited] == ["application.stop", "credit_record.reported"]
    assert application_id in str(audited[1]["details"])
    # a stopped application is not run again in its round (the credit block is 422 first)
    resubmitted = await client.post(
        "/v1/applications", json=body, headers=headers(token_for, **operator)
    )
    assert resubmitted.status_code == 422
    # and the entity may not apply again while the record is in force
    blocked = await client.post(
        "/v1/applications",
        json={**body, "category": "park"},
        headers=headers(token_for, **operator),
    )
    assert blocked.status_code == 422


async def test_a_rejected_application_is_not_started_again_in_its_round(
    api: tuple[httpx.AsyncClient, FastAPI],
    awards_pool: asyncpg.Pool,
    environment: WorkflowEnvironment,
    token_for: Callable[..., str],
) -> None:
    client, _ = api
    await register_park(awards_pool)
    operator = dict(roles=["operator"], subject="op", enterprise_ids=["ent-1"])
    body = {
        "programme_id": "guizhou-shibaiqianwan-2023",
        "year": 2026,
        "category": "base",
        "entity_type": "park",
        "entity_id": "park-1",
        "materials": {"application_form": {"name": "x"}, "written_application": "申报书.pdf"},
    }
    created = await client.post(
        "/v1/applications", json=body, headers=headers(token_for, **operator)
    )
    application_id = created.json()["id"]
    city = dict(roles=["city_bureau"], region_code="520300", subject="zunyi")
    rejected = await client.post(
        f"/v1/applications/{application_id}/steps",
        json={"action": "city_reject", "reason": "不符合申报条件"},
        headers=headers(token_for, **city),
    )
    assert rejected.status_code == 200 and rejected.json()["stage"] == "rejected"
    await environment.client.get_workflow_handle(f"awards-application-{application_id}").result()
    again = await client.post("/v1/applications", json=body, headers=headers(token_for, **operator))
    assert again.status_code == 409, again.text
    after_end = await client.post(
        f"/v1/applications/{application_id}/steps",
        json={"action": "city_recommend", "rank": 1},
        headers=headers(token_for, **city),
    )
    assert after_end.status_code == 409
