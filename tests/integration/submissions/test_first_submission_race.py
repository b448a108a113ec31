"""A reporter's first submission creates its report in the statement that stores the version
(``queries.FIRST_SUBMISSION``). When another transaction creates the report between the
submission's look-up and that statement, nothing is written and the submission is decided
again on the report as it then is, locked, as when the report existed from the start. Either
way the version has one audit record, written by the statement that stored it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import asyncpg
import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from shared.db.pool import create_pool
from shared.http.idempotency import StatementClaim
from submissions.domain.errors import Refused
from submissions.handlers.common import Context
from submissions.handlers.reports import Submitted, submit_report
from tests.integration.submissions.conftest import (
    FIRST_FIGURES,
    Clock,
    cst,
    open_window_for,
    reporter_of,
    window_id,
)
from tests.support.polling import until_a_lock_wait

W = window_id(2025)
NOW = cst(2025, 12, 5, 10)


@pytest.fixture(scope="module", autouse=True)
def opened(
    api: TestClient,
    auth: Callable[..., dict[str, str]],
    designate: Callable[..., int],
    clock: Clock,
) -> None:
    open_window_for(api, auth, designate, clock, ("R1", "R2", "R3", "R4"))


async def race(
    dsn: str, context: Context, designation: str, *, first_commits: bool, alone: bool = False
) -> Any:
    """The first submission holds its transaction open after its writes; the second starts,
    finds no report, and waits on the first's new row; then the first commits or rolls back.
    Answers the second's outcome (a ``Submitted`` or the ``Refused``) and the stored rows.
    ``alone``: the second claims in its statement (the route's way: that statement is its own
    transaction), without a key."""
    pool = await create_pool(dsn, min_size=2, max_size=3)
    hold, held = asyncio.Event(), asyncio.Event()

    async def pause(connection: asyncpg.Connection, result: Any) -> None:
        held.set()
        await hold.wait()
        if not first_commits:
            raise RuntimeError("the first submission fails after its writes")

    def submission(before_commit: Any = None, claim: Any = None) -> Any:
        return submit_report(
            pool,
            context,
            window_id=W,
            designation_id=designation,
            authorize=reporter_of,
            figures=FIRST_FIGURES,
            explanations={},
            now=NOW,
            before_commit=before_commit,
            claim_in_statement=claim,
        )

    try:
        first = asyncio.create_task(submission(pause))
        await asyncio.wait(
            [first, asyncio.create_task(held.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        assert held.is_set(), first.exception()
        unkeyed = cast(Request, SimpleNamespace(state=SimpleNamespace()))
        claim = StatementClaim(unkeyed, lambda result: (201, {}, b"{}")) if alone else None
        second = asyncio.create_task(submission(claim=claim))

        await until_a_lock_wait(pool, message="the second submission never waited")
        hold.set()
        try:
            await first
        except RuntimeError:
            assert not first_commits
        try:
            outcome: Submitted | Refused = await second
        except Refused as refused:
            outcome = refused
        versions = await pool.fetch(
            "SELECT v.number, r.revision, r.state FROM report_versions v "
            "JOIN reports r ON r.id = v.report_id WHERE r.window_id = $1 "
            "AND r.designation_id = $2",
            W,
            designation,
        )
        events = await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8') LIKE $1",
            f'%"{designation}"%',
        )
        audited = await pool.fetch(
            "SELECT a.resource_id, a.region_code, a.after->>'version' AS version FROM audit_log a "
            "JOIN reports r ON r.id::text = a.resource_id WHERE a.action = 'report.submitted' "
            "AND r.window_id = $1 AND r.designation_id = $2",
            W,
            designation,
        )
        assert [(row["region_code"], row["version"]) for row in audited] == [("520102", "1")]
        assert not await pool.fetchval("SELECT count(*) FROM audit_pending")
        return outcome, [tuple(v) for v in versions], events
    finally:
        await pool.close()


def test_a_report_created_meanwhile_is_decided_as_it_stands(
    submissions_db: str, context: Context
) -> None:
    outcome, versions, events = asyncio.run(race(submissions_db, context, "R1", first_commits=True))
    assert isinstance(outcome, Refused) and outcome.code == "under_review", outcome
    assert versions == [(1, 2, "submitted")]  # the first's only, written once
    assert events == 1


def test_when_the_other_rolls_back_the_first_submission_creates_the_report(
    submissions_db: str, context: Context
) -> None:
    outcome, versions, events = asyncio.run(
        race(submissions_db, context, "R2", first_commits=False)
    )
    assert isinstance(outcome, Submitted), outcome
    assert (outcome.version, outcome.report["revision"]) == (1, 2)
    assert versions == [(1, 2, "submitted")]
    assert events == 1


@pytest.mark.parametrize(("designation", "first_commits"), [("R3", True), ("R4", False)])
def test_a_submission_that_is_its_own_transaction_decides_the_same_way(
    submissions_db: str, context: Context, designation: str, first_commits: bool
) -> None:
    outcome, versions, events = asyncio.run(
        race(submissions_db, context, designation, first_commits=first_commits, alone=True)
    )
    if first_commits:
        assert isinstance(outcome, Refused) and outcome.code == "under_review", outcome
    else:
        assert isinstance(outcome, Submitted), outcome
        assert (outcome.version, outcome.report["revision"]) == (1, 2)
    assert versions == [(1, 2, "submitted")]
    assert events == 1
