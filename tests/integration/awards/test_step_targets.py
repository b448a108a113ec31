"""What a step reads of its application before the update (``awards.handlers.steps``): the
workflow's id once per application and process, the caller's visibility judged every time as
before (the region, the operating enterprise, an expert's seat on the panel, read afresh), and
an application not seen, or not there, never remembered."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from awards.db import queries
from awards.handlers import applications
from awards.handlers.steps import StepTargets
from awards.workflows.types import workflow_id_for
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.http.problems import ProblemError
from shared.programmes import Programme
from tests.integration.awards.conftest import application_start

AT = dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC)
ZUNYI_BUREAU = Principal("zunyi", frozenset({Role.city_bureau}), region_code="520300")
GUIYANG_BUREAU = Principal("guiyang", frozenset({Role.city_bureau}), region_code="520100")
OPERATOR = Principal("op", frozenset({Role.operator}), enterprise_ids=frozenset({"ent-1"}))


def expert(subject: str) -> Principal:
    """An expert of another city: it sees Zunyi's application only from a seat on its panel."""
    return Principal(subject, frozenset({Role.expert}), region_code="520100")


class CountingPool:
    """The pool, counting the connections taken (a read before the update takes one)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool, self.taken = pool, 0

    def acquire(self) -> Any:
        self.taken += 1
        return self.pool.acquire()


@pytest.fixture
async def submitted(awards_pool: asyncpg.Pool, guizhou: Programme) -> AsyncIterator[str]:
    start = application_start(guizhou, due_at=AT + dt.timedelta(days=30))
    await applications.record_submission(awards_pool, start, at=AT, topic_prefix="t.")
    yield start.application_id


async def test_an_application_seen_before_is_read_once(
    awards_pool: asyncpg.Pool, submitted: str
) -> None:
    pool, targets, application_id = CountingPool(awards_pool), StepTargets(), uuid.UUID(submitted)
    for caller in (ZUNYI_BUREAU, ZUNYI_BUREAU, OPERATOR, ZUNYI_BUREAU):
        assert await targets.workflow_of(pool, caller, application_id) == workflow_id_for(submitted)
    assert pool.taken == 1


async def test_visibility_is_judged_every_time(awards_pool: asyncpg.Pool, submitted: str) -> None:
    pool, targets, application_id = CountingPool(awards_pool), StepTargets(), uuid.UUID(submitted)
    await targets.workflow_of(pool, ZUNYI_BUREAU, application_id)
    for stranger in (GUIYANG_BUREAU, expert("e-1"), Principal("op2", frozenset({Role.operator}))):
        with pytest.raises(ProblemError) as refused:
            await targets.workflow_of(pool, stranger, application_id)
        assert refused.value.status == 404
    # an expert sees it once seated on its panel, which is read afresh each time
    async with awards_pool.acquire() as connection:
        await connection.execute(queries.SEAT_EXPERT, application_id, "e-1")
    taken = pool.taken
    for _ in range(2):
        assert await targets.workflow_of(pool, expert("e-1"), application_id) == workflow_id_for(
            submitted
        )
    assert pool.taken == taken + 2


async def test_an_application_not_there_is_not_remembered(awards_pool: asyncpg.Pool) -> None:
    pool, targets, missing = CountingPool(awards_pool), StepTargets(), uuid.uuid4()
    for _ in range(2):
        with pytest.raises(ProblemError) as absent:
            await targets.workflow_of(pool, ZUNYI_BUREAU, missing)
        assert absent.value.status == 404
    assert pool.taken == 2


async def test_the_oldest_application_is_forgotten_first(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    ids = []
    for n in range(3):
        start = application_start(guizhou, due_at=AT + dt.timedelta(days=30))
        applicant = start.applicant.model_copy(update={"entity_id": f"park-{n + 2}"})
        start = start.model_copy(update={"applicant": applicant})
        await applications.record_submission(awards_pool, start, at=AT, topic_prefix="t.")
        ids.append(uuid.UUID(start.application_id))
    pool, targets = CountingPool(awards_pool), StepTargets(size=2)
    for application_id in [*ids, ids[2], ids[0]]:
        await targets.workflow_of(pool, ZUNYI_BUREAU, application_id)
    assert pool.taken == 4  # three first reads, then the first again (forgotten for the third)


async def test_a_submission_remembered_is_not_read(
    awards_pool: asyncpg.Pool, submitted: str
) -> None:
    """The submission tells the facts its row has: the first step reads nothing, a stranger is
    still judged on them (and, not shown, reads the panel before its 404)."""
    pool, targets, application_id = CountingPool(awards_pool), StepTargets(), uuid.UUID(submitted)
    targets.remember(
        application_id,
        workflow_id=workflow_id_for(submitted),
        region_code="520302",
        owner_enterprise_id="ent-1",
    )
    for caller in (ZUNYI_BUREAU, OPERATOR):
        assert await targets.workflow_of(pool, caller, application_id) == workflow_id_for(submitted)
    assert pool.taken == 0
    with pytest.raises(ProblemError) as refused:
        await targets.workflow_of(pool, GUIYANG_BUREAU, application_id)
    assert refused.value.status == 404 and pool.taken == 1
    # remembered once: a later read or submission does not replace what is kept
    targets.remember(
        application_id, workflow_id="other", region_code="520100", owner_enterprise_id=None
    )
    assert (targets.facts(application_id) or {})["workflow_id"] == workflow_id_for(submitted)
