"""A step's write (``record_step``): one statement for the step, the application's stage, a
card's seat, the step's event and its audit record. Checked against the same write made as it
was before, in a transaction of four statements (the step, ``append_events``,
``audit.record_change_by``), on a second database with the same application: the same rows,
the same event bytes (but for the event's id and time), the same audit records (but for the
chain's time and hashes), and a chain that verifies."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from awards.db import MIGRATIONS_DIR, queries
from awards.handlers import applications
from awards.handlers.common import WORKER, request_context
from awards.workflows.types import ApplicationStart, RequestData, StepRecord
from shared import audit
from shared.db.pool import create_pool
from shared.events.awards import ApplicationStageChanged, ReviewOverdue
from shared.events.envelope import DomainEvent
from shared.messaging.outbox import append_events
from shared.programmes import Programme
from tests.integration.awards.conftest import EXPERT_POOL, application_start
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack

SOURCE = "awards-test"
PREFIX = "t."
AT = dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC)
REQUEST = RequestData(request_id="req-1", client_ip="10.0.0.1", user_agent="pytest")

# The statement before the events and the audit record joined it: the step, the stage, a seat.
STEP_ONLY = queries._STEP_CTES + "\nSELECT seq FROM written"


async def write_step_as_before(connection: asyncpg.Connection, record: StepRecord) -> bool:
    """``write_step`` as it was: the step, then the event, then the audit record."""
    inserted = await connection.fetchval(
        STEP_ONLY,
        uuid.UUID(record.application_id), record.seq, record.step, record.stage_after,
        record.actor, record.role, record.reason, record.detail, record.at, record.waiting_on,
        record.materials, record.city_rank, record.score, record.passed, record.notice_last_day,
        record.scored_by,
    )  # fmt: skip
    if inserted is None:
        return False
    event: DomainEvent
    if record.overdue_due_at is not None:
        event = ReviewOverdue(
            application_id=record.application_id,
            programme_id=record.programme_id,
            region_code=record.region_code,
            city_code=f"{record.region_code[:4]}00",
            due_at=record.overdue_due_at,
        )
    else:
        event = ApplicationStageChanged(
            application_id=record.application_id,
            programme_id=record.programme_id,
            region_code=record.region_code,
            step=record.step,
            stage=record.stage_after,
            waiting_on=record.waiting_on,
            actor=record.actor,
            reason=record.reason,
        )
    await append_events(connection, [event], source=SOURCE, topic_prefix=PREFIX)
    actor = (
        audit.Actor(record.actor, record.actor_roles, record.actor_region)
        if record.actor_roles
        else WORKER
    )
    with request_context(record.request):
        await audit.record_change_by(
            connection,
            actor,
            f"application.{record.step}",
            audit.Resource("application", record.application_id, record.region_code),
            before=None if record.stage_before is None else {"stage": record.stage_before},
            after={"stage": record.stage_after},
            reason=record.reason,
            details=record.detail or None,
        )
    return True


def steps(start: ApplicationStart) -> list[StepRecord]:
    """Steps of every kind the write distinguishes: a person's with a request, a process's, an
    overdue review (its own event), stage columns, a card's seat, a retried seq."""
    common: dict[str, Any] = {
        "application_id": start.application_id,
        "programme_id": start.terms.programme_id,
        "region_code": start.applicant.region_code,
        "at": AT,
    }
    city = {"actor_roles": ("city_bureau",), "actor_region": "520300", "request": REQUEST}
    return [
        StepRecord(
            **common, seq=2, step="city_review_overdue", stage_after="city_review",
            waiting_on="city_bureau", actor="awards", role=None,
            reason="the round's city review deadline has passed", overdue_due_at=AT,
        ),
        StepRecord(
            **common, **city, seq=3, step="city_recommend", stage_after="document_review",
            waiting_on="province_admin", actor="zunyi-bureau", role="city_bureau",
            stage_before="city_review", city_rank=1,
        ),
        StepRecord(
            **common, seq=4, step="score", stage_after="expert_evaluation", waiting_on="expert",
            actor="e-1", role="expert", actor_roles=("expert",), stage_before="expert_evaluation",
            detail={"note": "卡片"}, scored_by="e-1",
        ),
        StepRecord(
            **common, seq=5, step="evaluation_result", stage_after="decision",
            waiting_on="province_admin", actor="awards", role=None, reason="aggregate 80",
            detail={"totals": {"e-1": "80"}}, score=Decimal("80"), passed=True,
        ),
        StepRecord(
            **common, seq=6, step="decide", stage_after="public_notice", waiting_on=None,
            actor="guizhou-province", role="province_admin", actor_roles=("province_admin",),
            actor_region="520000", stage_before="decision", request=REQUEST,
            notice_last_day=dt.date(2026, 12, 10), detail={"notice_last_day": "2026-12-10"},
        ),
    ]  # fmt: skip


@pytest.fixture
async def second_pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    dsn = await migrated_database(stack, "awards", MIGRATIONS_DIR)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    yield pool
    await pool.close()
    await drop_database(stack, dsn)


async def prepared(pool: asyncpg.Pool, start: ApplicationStart) -> None:
    """The submitted application, with the expert e-1 seated."""
    await applications.record_submission(pool, start, at=AT, topic_prefix=PREFIX)
    async with pool.acquire() as connection:
        for expert_id, name, region, relations in EXPERT_POOL:
            await connection.execute(
                queries.UPSERT_EXPERT, expert_id, name, region, relations, True
            )
        await connection.execute(queries.SEAT_EXPERT, uuid.UUID(start.application_id), "e-1")


async def written(pool: asyncpg.Pool) -> dict[str, list[dict[str, Any]]]:
    """Everything the writes leave, less what differs by nature between two runs."""
    async with pool.acquire() as connection:
        rows = {
            "steps": await connection.fetch("SELECT * FROM application_steps ORDER BY seq"),
            "applications": await connection.fetch("SELECT * FROM applications"),
            "panel": await connection.fetch("SELECT * FROM application_panel ORDER BY expert_id"),
            "outbox": await connection.fetch("SELECT * FROM outbox ORDER BY id"),
            "audit": await connection.fetch("SELECT * FROM audit_log ORDER BY seq"),
        }
        verification = await audit.verify(connection)
    assert verification.ok, verification.broken
    varying = {
        "applications": {"created_at", "updated_at"},
        "outbox": {"id", "event_id", "created_at", "published_at", "payload", "claimed_at"},
        "audit": {"recorded_at", "prev_hash", "row_hash"},
    }
    found: dict[str, list[dict[str, Any]]] = {}
    for table, records in rows.items():
        found[table] = [
            {k: v for k, v in dict(r).items() if k not in varying.get(table, set())}
            for r in records
        ]
    for row, record in zip(found["outbox"], rows["outbox"], strict=True):
        # the envelope's bytes as published, but for its id and time (new at every write)
        payload = bytes(record["payload"])
        envelope = json.loads(payload)
        for varies in (envelope["id"], envelope["time"]):
            payload = payload.replace(json.dumps(varies).encode(), b'"..."')
        row["payload"] = payload
    return found


async def test_a_step_written_in_one_statement_leaves_what_the_transaction_left(
    awards_pool: asyncpg.Pool, second_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    start = application_start(guizhou, due_at=AT + dt.timedelta(days=30))
    await prepared(awards_pool, start)
    await prepared(second_pool, start)
    records = steps(start)
    for record in records:
        async with second_pool.acquire() as connection, connection.transaction():
            assert await write_step_as_before(connection, record)
        assert await applications.record_step(
            awards_pool, record, topic_prefix=PREFIX, event_source=SOURCE
        )
    before, now = await written(second_pool), await written(awards_pool)
    assert now == before
    assert [r["step"] for r in now["steps"]][1:] == [r.step for r in records]
    assert [r["event_type"] for r in now["outbox"]][1:] == [
        "awards.review.overdue.v1", *["awards.application.stage_changed.v1"] * 4
    ]  # fmt: skip
    assert [r["action"] for r in now["audit"]][1:] == [f"application.{r.step}" for r in records]
    assert now["audit"][2]["request_id"] == "req-1" and now["audit"][1]["request_id"] is None
    assert [r["scored"] for r in now["panel"]] == [True]
    (application,) = now["applications"]
    assert (application["stage"], application["last_seq"], application["city_rank"]) == (
        "public_notice", 6, 1
    )  # fmt: skip
    assert application["score"] == Decimal("80") and application["passed"]


async def test_a_retried_step_writes_nothing_more(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    """A retried activity finds its step: no second event, no second audit record, and the
    stage is not moved back."""
    start = application_start(guizhou, due_at=AT + dt.timedelta(days=30))
    await prepared(awards_pool, start)
    first, second = steps(start)[1:3]
    assert await applications.record_step(awards_pool, first, topic_prefix=PREFIX)
    assert await applications.record_step(awards_pool, second, topic_prefix=PREFIX)
    once = await written(awards_pool)
    assert not await applications.record_step(awards_pool, first, topic_prefix=PREFIX)
    assert await written(awards_pool) == once
    assert once["applications"][0]["last_seq"] == 4
