"""The province's REST for dynamic management (ISSUE-12), on the time-skipping server: the
standing per programme and year with evidence and who decided, a major violation that revokes
at once, reinstatement; each audited with the request's facts, each claiming its key."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import httpx
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from awards.workflows.designation import DesignationWorkflow
from awards.workflows.types import DesignationStart, designation_workflow_id
from shared.programmes import Programme
from tests.integration.awards.test_api_round import api, headers
from tests.integration.awards.test_designation_workflow import designation, eventually, standings

__all__ = ["api"]  # the fixture, shared with the round's API tests

PROVINCE = dict(roles=["province_admin"], region_code="520000", subject="gz-province")
GUIZHOU = "guizhou-shibaiqianwan-2023"


async def test_the_province_revokes_for_a_violation_sees_the_standing_and_reinstates(
    api: tuple[httpx.AsyncClient, FastAPI],
    environment: WorkflowEnvironment,
    awards_pool: asyncpg.Pool,
    guizhou: Programme,
    token_for: Callable[..., str],
) -> None:
    client, app = api
    designation_id = await _warned_designation(environment, awards_pool, guizhou, app)

    violation = {"reason": "虚报交易数据", "evidence": {"document": "黔商函〔2026〕3号"}}
    city = dict(roles=["city_bureau"], region_code="520300", subject="zunyi")
    refused = await client.post(
        f"/v1/designations/{designation_id}/violations",
        json=violation,
        headers=headers(token_for, **city),
    )
    assert refused.status_code == 403
    key = headers(token_for, **PROVINCE)
    revoked = await client.post(
        f"/v1/designations/{designation_id}/violations", json=violation, headers=key
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["standing"] == "revoked"
    again = await client.post(
        f"/v1/designations/{designation_id}/violations", json=violation, headers=key
    )
    assert again.json() == revoked.json()  # the same key answers the same, no second update
    twice = await client.post(
        f"/v1/designations/{designation_id}/violations",
        json=violation,
        headers=headers(token_for, **PROVINCE),
    )
    assert twice.status_code == 409

    listed = await client.get(
        "/v1/designations/standing",
        params={"programme_id": GUIZHOU, "year": 2025},
        headers=headers(token_for, **PROVINCE),
    )
    assert listed.status_code == 200, listed.text
    row = next(i for i in listed.json()["items"] if i["id"] == designation_id)
    assert row["standing"] == "revoked" and row["step"] == "revoked_for_violation"
    assert row["decided_by"] == "gz-province" and row["evidence"]["document"].startswith("黔商函")

    reinstated = await client.post(
        f"/v1/designations/{designation_id}/reinstatement",
        json={"reason": "复核后恢复"},
        headers=headers(token_for, **PROVINCE),
    )
    assert reinstated.status_code == 200 and reinstated.json()["standing"] == "good_standing"
    async with awards_pool.acquire() as connection:
        audited = await connection.fetch(
            "SELECT action, actor_subject, request_id FROM audit_log WHERE resource_id = $1 "
            "ORDER BY seq",
            designation_id,
        )
        events = await connection.fetch(
            "SELECT event_type FROM outbox WHERE event_type LIKE 'awards.designation.%' ORDER BY id"
        )
    assert [r["action"] for r in audited] == [
        "designation.warned",
        "designation.revoked_for_violation",
        "designation.reinstated",
    ]
    assert audited[1]["actor_subject"] == "gz-province" and audited[1]["request_id"]
    assert [r["event_type"] for r in events] == [
        "awards.designation.warned.v1",
        "awards.designation.revoked.v1",
        "awards.designation.reinstated.v1",
    ]


async def test_a_blocking_credit_record_revokes_the_entitys_designations_at_once(
    api: tuple[httpx.AsyncClient, FastAPI],
    environment: WorkflowEnvironment,
    awards_pool: asyncpg.Pool,
    guizhou: Programme,
    token_for: Callable[..., str],
) -> None:
    """A major violation reported by an outside system (失信联合惩戒)."""
    client, app = api
    designation_id = await _warned_designation(environment, awards_pool, guizhou, app)
    async with awards_pool.acquire() as connection:
        entity_id = await connection.fetchval(
            "SELECT entity_id FROM designations WHERE id = $1::uuid", designation_id
        )
    record = {
        "record_id": "cr-revoke-1",
        "entity_id": entity_id,
        "kind": "serious_violation",
        "valid_from": "2026-01-01",
        "source_document": "信用中国 严重违法失信名单",
    }
    reported = await client.post(
        "/v1/credit-records",
        json=record,
        headers=headers(token_for, roles=["integrator"], grants=["write"]),
    )
    assert reported.status_code == 201, reported.text
    rows = await standings(awards_pool, designation_id)
    assert rows[-1] == (2025, "revoked_for_violation", "credit-records")
    async with awards_pool.acquire() as connection:
        details = await connection.fetchval(
            "SELECT details FROM audit_log WHERE action = 'credit_record.reported'"
        )
    assert designation_id in str(details)


async def test_a_retried_violation_whose_claim_was_lost_answers_the_first_revocation(
    api: tuple[httpx.AsyncClient, FastAPI],
    environment: WorkflowEnvironment,
    awards_pool: asyncpg.Pool,
    guizhou: Programme,
    token_for: Callable[..., str],
) -> None:
    """The workflow took the update, then the key's claim never committed (the database
    restarted in between: the fault run's case). The client retries with the same key: the
    update's id is the key's, so Temporal answers with the first outcome, not a refusal of a
    second revocation, and the decision is made once."""
    client, app = api
    designation_id = await _warned_designation(environment, awards_pool, guizhou, app)
    violation = {"reason": "虚报交易数据", "evidence": {"document": "黔商函〔2026〕4号"}}
    key = headers(token_for, **PROVINCE)
    first = await client.post(
        f"/v1/designations/{designation_id}/violations", json=violation, headers=key
    )
    assert first.status_code == 200, first.text
    async with awards_pool.acquire() as connection:
        lost = await connection.execute(
            "DELETE FROM idempotency_keys WHERE key = $1", key["Idempotency-Key"]
        )
    assert lost == "DELETE 1"

    retried = await client.post(
        f"/v1/designations/{designation_id}/violations", json=violation, headers=key
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["standing"] == first.json()["standing"] == "revoked"
    async with awards_pool.acquire() as connection:
        decided = await connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE resource_id = $1 "
            "AND action = 'designation.revoked_for_violation'",
            designation_id,
        )
    assert decided == 1


async def _warned_designation(
    environment: WorkflowEnvironment, awards_pool: asyncpg.Pool, guizhou: Programme, app: FastAPI
) -> str:
    """A 2025 designation with its workflow started: 2025's window locked on 1 January 2026,
    so it is evaluated at once and, with no report, warned."""
    designation_id = await designation(awards_pool, guizhou, year=2025)
    await environment.client.start_workflow(
        DesignationWorkflow.run,
        DesignationStart(
            designation_id=designation_id, programme_id=GUIZHOU, category="base", year=2025
        ),
        id=designation_workflow_id(designation_id),
        task_queue=app.state.settings.task_queue,
    )
    await eventually(lambda: standings(awards_pool, designation_id), lambda s: len(s) >= 1)
    return designation_id
