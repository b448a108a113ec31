"""Decisions arriving together are committed together
(awards/handlers/standing_group_commit.py), each written as it would be alone: its standing
row, its events, its audit record in the chain; one bad request fails only its own activity;
the same decision asked twice is made once."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import asyncpg
import pytest

from awards.domain.standing import Standing
from awards.handlers.standing import UnknownDesignation, cycle_plan
from awards.handlers.standing_group_commit import DecisionGroupCommit
from awards.workflows.types import DecisionRequest
from shared import audit
from shared.china_time import CHINA
from shared.programmes import Programme
from tests.integration.awards.test_designation_workflow import designation, later_programme
from tests.support.polling import until

AT = dt.datetime(2028, 1, 1, 0, 1, tzinfo=CHINA)


def evaluation(designation_id: str, programme: Programme, seq: int = 1) -> DecisionRequest:
    plan = cycle_plan(programme, 2027)
    return DecisionRequest(
        designation_id=designation_id, kind="evaluate", year=2027, seq=seq, at=AT,
        grace_until=plan.grace_until, rectification_days=plan.rectification_days,
        window_id=plan.window_id,
    )  # fmt: skip


@pytest.fixture
def programme(guizhou: Programme) -> Programme:
    return later_programme(guizhou)


@pytest.fixture
def commit(awards_pool: asyncpg.Pool, programme: Programme) -> DecisionGroupCommit:
    return DecisionGroupCommit(
        awards_pool, {programme.id: programme}, topic_prefix="t.", event_source="/ecom/awards"
    )


async def test_decisions_arriving_together_are_each_written_as_alone(
    awards_pool: asyncpg.Pool, guizhou: Programme, programme: Programme, commit: DecisionGroupCommit
) -> None:
    ids = [await designation(awards_pool, guizhou) for _ in range(40)]
    requests = [evaluation(i, programme) for i in ids]
    requests.append(requests[0])  # a retried activity while the first is still waiting
    decisions = await asyncio.gather(*(commit.decide(r) for r in requests))

    assert {d.standing for d in decisions} == {Standing.warning}  # no report for 2027
    assert decisions[0] == decisions[-1]
    async with awards_pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT designation_id::text, step FROM designation_standing ORDER BY 1"
        )
        standing = await connection.fetch("SELECT standing, standing_seq FROM designations")
        warned = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE event_type = 'awards.designation.warned.v1'"
        )
        records = await connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'designation.warned'"
        )
        checked = await audit.verify(connection)
        transactions = await connection.fetchval(
            "SELECT count(DISTINCT xmin::text) FROM designation_standing"
        )
    assert rows == sorted((i, "warned") for i in ids)
    assert transactions < 40  # committed together
    assert {tuple(r) for r in standing} == {("warning", 1)}
    assert warned == records == 40
    assert checked.ok and checked.rows >= 40


async def test_one_bad_request_fails_only_its_own_decision(
    awards_pool: asyncpg.Pool, guizhou: Programme, programme: Programme, commit: DecisionGroupCommit
) -> None:
    ids = [await designation(awards_pool, guizhou) for _ in range(5)]
    unknown = str(uuid.uuid4())
    outcomes = await asyncio.gather(
        *(commit.decide(evaluation(i, programme)) for i in [*ids[:2], unknown, *ids[2:]]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[2], UnknownDesignation)
    assert all(o.standing is Standing.warning for o in outcomes if not isinstance(o, Exception))  # type: ignore[union-attr]
    async with awards_pool.acquire() as connection:
        decided = await connection.fetchval("SELECT count(*) FROM designation_standing")
    assert decided == 5

    # asked again (the activity retried): the decisions stand as written, nothing is added
    again = await asyncio.gather(*(commit.decide(evaluation(i, programme)) for i in ids))
    assert again == [o for o in outcomes if not isinstance(o, Exception)]
    async with awards_pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM audit_log") == 5
    with pytest.raises(UnknownDesignation):
        await commit.decide(evaluation(unknown, programme))


async def test_a_stopping_worker_fails_the_waiting_decisions_so_that_they_retry(
    awards_pool: asyncpg.Pool, guizhou: Programme, programme: Programme, commit: DecisionGroupCommit
) -> None:
    ids = [await designation(awards_pool, guizhou) for _ in range(3)]
    waiting = [asyncio.ensure_future(commit.decide(evaluation(i, programme))) for i in ids]

    async def lingering() -> bool:
        return commit._writer is not None and not commit._writer.done()

    await until(lingering, seconds=5, interval=0.001)
    assert commit._writer is not None
    commit._writer.cancel()  # as the worker's shutdown cancels its tasks
    # none is left waiting for ever (a bound, not a sleep: this returns as soon as they end)
    outcomes = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 10)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes)
    # asked again after the restart: decided once
    again = await asyncio.gather(*(commit.decide(evaluation(i, programme)) for i in ids))
    assert {d.standing for d in again} == {Standing.warning}
    async with awards_pool.acquire() as connection:
        assert await connection.fetchval("SELECT count(*) FROM designation_standing") == 3
