"""A reporter's first submission claims the route's Idempotency-Key in the statement that creates
the report (``StatementClaim``, ``queries.FIRST_SUBMISSION``), its answer rendered before that
statement from the row it will create, and that statement is its own transaction. The claim
keeps its guarantees: it commits with the change, only while the key carries the request's
lease; a request whose lease was taken over, before or while the statement runs, is refused
(409) and writes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from shared.db.pool import create_pool
from shared.http import catalogue
from shared.http.idempotency import (
    STATE_KEY,
    IdempotencyClaim,
    PostgresIdempotencyStore,
    Reserved,
    StatementClaim,
)
from shared.http.problems import ProblemError
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
    open_window_for(api, auth, designate, clock, ("K1", "K2", "K3", "K4"))


def render(result: Submitted) -> tuple[int, dict[str, str], bytes]:
    """An answer made of every column of the report as the statement will store it."""
    answer = ",".join(f"{name}={result.report[name]!r}" for name in sorted(result.report.keys()))
    return 201, {"ETag": f'"{result.report["revision"]}"'}, answer.encode()


async def submit(
    dsn: str, context: Context, designation: str, *, lease: str | None
) -> tuple[Any, dict[str, Any]]:
    """Submits with a key reserved under its lease, claimed under ``lease`` ("own": the
    reservation's token; "other": a token a retry would hold; "taken over": its own, which a
    retry takes over while the submission waits on the key's row; None: no key). Answers the
    outcome (a ``Submitted`` or the problem) and what was stored."""
    pool = await create_pool(dsn, min_size=2, max_size=3)
    try:
        scope, key = f"iss/{designation}", f"key-{designation}"
        reserved = await PostgresIdempotencyStore(pool).reserve(
            scope=scope, key=key, request_hash="h", lease_seconds=60
        )
        assert isinstance(reserved, Reserved)
        token = uuid.uuid4() if lease == "other" else reserved.lease_token
        state = {STATE_KEY: IdempotencyClaim(scope, key, token)} if lease else {}
        request = cast(Request, SimpleNamespace(state=SimpleNamespace(**state)))
        rendered: list[bytes] = []

        def answer(result: Submitted) -> tuple[int, dict[str, str], bytes]:
            status_code, headers, body = render(result)
            rendered.append(body)
            return status_code, headers, body

        retry = await pool.acquire()
        if lease == "taken over":  # a retry takes the lease over, not yet committed
            await retry.execute("BEGIN")
            await retry.execute(
                "UPDATE idempotency_keys SET lease_token = $3 WHERE scope = $1 AND key = $2",
                scope,
                key,
                uuid.uuid4(),
            )
        submission = asyncio.create_task(
            submit_report(
                pool,
                context,
                window_id=W,
                designation_id=designation,
                authorize=reporter_of,
                figures=FIRST_FIGURES,
                explanations={},
                now=NOW,
                claim_in_statement=StatementClaim(request, answer),
            )
        )
        if lease == "taken over":
            await until_a_lock_wait(pool, message="the submission never waited on the key")
            await retry.execute("COMMIT")
        await pool.release(retry)
        try:
            outcome: Any = await submission
        except ProblemError as problem:
            outcome = problem
        key_row = await pool.fetchrow(
            "SELECT status_code, body, applied_at FROM idempotency_keys "
            "WHERE scope = $1 AND key = $2",
            scope,
            key,
        )
        stored = {
            "rendered": rendered,
            "key": dict(key_row) if key_row else None,
            "report": await pool.fetchrow(
                "SELECT * FROM reports WHERE window_id = $1 AND designation_id = $2",
                W,
                designation,
            ),
            "events": await pool.fetchval(
                "SELECT count(*) FROM outbox WHERE convert_from(payload, 'UTF8') LIKE $1",
                f'%"{designation}"%',
            ),
            "pending": await pool.fetchval("SELECT count(*) FROM audit_pending"),
            "claimed": state[STATE_KEY].claimed if state else None,
        }
        return outcome, stored
    finally:
        await pool.close()


def test_the_statement_claims_the_key_with_the_answer_of_the_row_it_stored(
    submissions_db: str, context: Context
) -> None:
    outcome, stored = asyncio.run(submit(submissions_db, context, "K1", lease="own"))
    assert isinstance(outcome, Submitted), outcome
    # The answer rendered before the statement is the answer of the row it stored.
    assert stored["rendered"] == [render(Submitted(stored["report"], 1, True, []))[2]]
    assert stored["key"]["status_code"] == 201 and stored["key"]["applied_at"] is not None
    assert bytes(stored["key"]["body"]) == stored["rendered"][0]
    assert stored["claimed"] is not None and stored["claimed"].body == stored["rendered"][0]
    assert stored["report"]["updated_at"] == stored["report"]["created_at"]
    assert stored["report"]["first_submitted_at"] == NOW
    assert stored["events"] == 1 and stored["pending"] == 0


def test_a_request_whose_lease_was_taken_over_writes_nothing(
    submissions_db: str, context: Context
) -> None:
    outcome, stored = asyncio.run(submit(submissions_db, context, "K2", lease="other"))
    assert isinstance(outcome, ProblemError), outcome
    assert outcome.kind == catalogue.REQUEST_SUPERSEDED and outcome.status == 409
    assert stored["report"] is None and stored["events"] == 0 and stored["pending"] == 0
    assert stored["key"]["applied_at"] is None and stored["key"]["status_code"] is None
    assert stored["claimed"] is None


def test_a_lease_taken_over_while_the_statement_waits_for_the_key_writes_nothing(
    submissions_db: str, context: Context
) -> None:
    outcome, stored = asyncio.run(submit(submissions_db, context, "K4", lease="taken over"))
    assert isinstance(outcome, ProblemError), outcome
    assert outcome.kind == catalogue.REQUEST_SUPERSEDED and outcome.status == 409
    assert stored["report"] is None and stored["events"] == 0 and stored["pending"] == 0
    assert stored["key"]["applied_at"] is None and stored["key"]["status_code"] is None


def test_without_a_key_the_statement_claims_nothing(submissions_db: str, context: Context) -> None:
    outcome, stored = asyncio.run(submit(submissions_db, context, "K3", lease=None))
    assert isinstance(outcome, Submitted), outcome
    assert len(stored["rendered"]) == 1  # rendered once all the same: the route sends it
    assert stored["key"]["applied_at"] is None and stored["key"]["status_code"] is None
    assert stored["events"] == 1
