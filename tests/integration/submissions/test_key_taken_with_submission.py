"""A submission's Idempotency-Key is not reserved ahead: the statement or transaction that makes
the submission inserts the key's row, completed, with it (``taken_by_route``, the rush's path:
one round trip fewer per report). The key's guarantees hold as with a reservation: the same
request under the same key gets the first answer, replayed; another request under it a 422; a
duplicate still running a 409; and a row already there rolls the change back, nothing written."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.db.pool import create_pool
from shared.http.idempotency import (
    request_fingerprint,
)
from tests.integration.submissions.conftest import (
    FIRST_FIGURES,
    Clock,
    cst,
    open_window_for,
    window_id,
)
from tests.support.polling import until_a_lock_wait

W = window_id(2025)
NOW = cst(2025, 12, 5, 10)
Auth = Callable[..., dict[str, str]]
DESIGNATIONS = tuple(f"T{n}" for n in range(1, 10))


@pytest.fixture(scope="module", autouse=True)
def opened(api: TestClient, auth: Auth, designate: Callable[..., int], clock: Clock) -> None:
    open_window_for(api, auth, designate, clock, DESIGNATIONS)


def url(designation: str) -> str:
    return f"/v1/windows/{W}/reports/{designation}/versions"


def reporter(auth: Auth, designation: str, key: str) -> dict[str, str]:
    entity = f"E-{designation}"  # as the conftest's ``designate`` names it
    return {
        **auth("operator", None, enterprise_ids=[entity], subject=f"user-{entity}"),
        "Idempotency-Key": key,
    }


def versions(api: TestClient, auth: Auth, designation: str) -> int:
    listed = api.get(url(designation), headers=auth())
    return 0 if listed.status_code == 404 else len(listed.json()["items"])


def key_row(dsn: str, key: str) -> dict[str, Any] | None:
    async def read() -> dict[str, Any] | None:
        pool = await create_pool(dsn, min_size=1, max_size=1)
        try:
            row = await pool.fetchrow(
                "SELECT status_code, body, applied_at, lease_expires_at, created_at "
                "FROM idempotency_keys WHERE key = $1",
                key,
            )
            return dict(row) if row else None
        finally:
            await pool.close()

    return asyncio.run(read())


def taken_with_change(dsn: str, key: str) -> bool:
    """The key's row was inserted by the change (its lease ends as it starts, in the change's
    transaction), not reserved ahead (a reservation's lease runs on past its start)."""
    row = key_row(dsn, key)
    assert row is not None, key
    return bool(row["lease_expires_at"] == row["created_at"])


def sql(dsn: str, statement: str, *arguments: Any) -> None:
    async def run() -> None:
        pool = await create_pool(dsn, min_size=1, max_size=1)
        try:
            await pool.execute(statement, *arguments)
        finally:
            await pool.close()

    asyncio.run(run())


def test_a_first_report_takes_its_key_with_it_and_a_retry_replays(
    api: TestClient, auth: Auth, clock: Clock, submissions_db: str
) -> None:
    clock.now = NOW
    headers = reporter(auth, "T1", "t1-first")
    first = api.post(url("T1"), json={"figures": FIRST_FIGURES}, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert taken_with_change(submissions_db, "t1-first")
    stored = key_row(submissions_db, "t1-first")
    assert stored is not None and stored["status_code"] == 201
    assert stored["body"] == first.content and stored["applied_at"] is not None

    again = api.post(url("T1"), json={"figures": FIRST_FIGURES}, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert versions(api, auth, "T1") == 1

    other = {**FIRST_FIGURES, "workers": 41}
    reused = api.post(url("T1"), json={"figures": other}, headers=headers)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert versions(api, auth, "T1") == 1


def test_a_later_version_takes_its_key_in_its_transaction(
    api: TestClient, auth: Auth, clock: Clock, submissions_db: str
) -> None:
    clock.now = NOW
    first_key = reporter(auth, "T2", "t2-one")
    first = api.post(url("T2"), json={"figures": FIRST_FIGURES}, headers=first_key)
    assert first.status_code == 201, first.text
    returned = api.post(
        f"/v1/windows/{W}/reports/T2/city-review",
        json={"decision": "return", "field_comments": {"workers": "请核实从业人员数"}},
        headers=auth("city_bureau", "520100"),
    )
    assert returned.status_code == 200, returned.text
    # The first request again, now that a second version would be taken: its transaction
    # finds the key stored and rolls back; the first answer is replayed, nothing written.
    replayed = api.post(url("T2"), json={"figures": FIRST_FIGURES}, headers=first_key)
    assert replayed.status_code == 201 and replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == first.content
    assert taken_with_change(submissions_db, "t2-one") and versions(api, auth, "T2") == 1

    headers = reporter(auth, "T2", "t2-two")
    second_figures = {**FIRST_FIGURES, "workers": 42}
    second = api.post(url("T2"), json={"figures": second_figures}, headers=headers)
    assert second.status_code == 201, second.text
    assert second.json()["version"] == 2 and taken_with_change(submissions_db, "t2-two")
    again = api.post(url("T2"), json={"figures": second_figures}, headers=headers)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.content == second.content
    assert versions(api, auth, "T2") == 2


def test_a_refusal_is_kept_and_replayed_under_its_key(
    api: TestClient, auth: Auth, clock: Clock, submissions_db: str
) -> None:
    clock.now = NOW
    headers = reporter(auth, "T3", "t3-invalid")
    invalid = {**FIRST_FIGURES, "workers": -1}
    refused = api.post(url("T3"), json={"figures": invalid}, headers=headers)
    assert refused.status_code == 422, refused.text
    stored = key_row(submissions_db, "t3-invalid")
    assert stored is not None and stored["status_code"] == 422 and stored["applied_at"] is None
    again = api.post(url("T3"), json={"figures": invalid}, headers=headers)
    assert again.status_code == 422 and again.headers["idempotent-replayed"] == "true"
    assert again.content == refused.content
    assert versions(api, auth, "T3") == 0


def test_an_answer_never_kept_is_not_sent_over_a_stored_one(
    api: TestClient, auth: Auth, clock: Clock, submissions_db: str
) -> None:
    clock.now = NOW
    headers = reporter(auth, "T4", "t4-first")
    first = api.post(url("T4"), json={"figures": FIRST_FIGURES}, headers=headers)
    assert first.status_code == 201, first.text
    # The same key from the same caller, for a reporter it may not see: the route's 404 (an
    # answer never kept) is not sent, since the key holds an answer; the key is answered as
    # a reserved one would have been before the route ran (another request under it: 422).
    elsewhere = api.post(url("T5"), json={"figures": FIRST_FIGURES}, headers=headers)
    assert elsewhere.status_code == 422
    assert elsewhere.json()["code"] == "idempotency_key_reused"
    # With a key never used, the 404 is sent as it is, and nothing is kept.
    fresh = api.post(
        url("T5"), json={"figures": FIRST_FIGURES}, headers=reporter(auth, "T4", "t4-other")
    )
    assert fresh.status_code == 404
    assert "idempotent-replayed" not in fresh.headers
    assert key_row(submissions_db, "t4-other") is None


def test_a_key_reserved_by_a_request_still_running_refuses_with_409(
    api: TestClient, auth: Auth, clock: Clock, submissions_db: str
) -> None:
    clock.now = NOW
    headers = reporter(auth, "T6", "t6-running")
    body = {"figures": FIRST_FIGURES}
    # The same request, reserved under a lease by a replica still running it.
    probe = api.post(url("T6"), json={"figures": {**FIRST_FIGURES, "workers": -1}}, headers=headers)
    assert probe.status_code == 422  # learns the key's partition (the verified caller)
    sql(
        submissions_db,
        "UPDATE idempotency_keys SET status_code = NULL, headers = NULL, body = NULL, "
        "completed_at = NULL, request_hash = $2, lease_token = gen_random_uuid(), "
        "lease_expires_at = now() + interval '1 minute' WHERE key = $1",
        "t6-running",
        fingerprint_of(url("T6"), body),
    )
    running = api.post(url("T6"), json=body, headers=headers)
    assert running.status_code == 409 and running.json()["code"] == "request_in_progress"
    assert versions(api, auth, "T6") == 0


def fingerprint_of(path: str, body: dict[str, Any]) -> str:
    return request_fingerprint("POST", path, b"", json.dumps(body).encode())


def test_a_key_past_its_24_hours_is_taken_over(
    api: TestClient, auth: Auth, clock: Clock, submissions_db: str
) -> None:
    clock.now = NOW
    headers = reporter(auth, "T7", "t7-old")
    old = api.post(url("T7"), json={"figures": {**FIRST_FIGURES, "workers": -1}}, headers=headers)
    assert old.status_code == 422
    sql(
        submissions_db,
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1",
        "t7-old",
    )
    new = api.post(url("T7"), json={"figures": FIRST_FIGURES}, headers=headers)
    assert new.status_code == 201, new.text
    assert "idempotent-replayed" not in new.headers
    stored = key_row(submissions_db, "t7-old")
    assert stored is not None and stored["status_code"] == 201 and stored["body"] == new.content
    assert versions(api, auth, "T7") == 1


def test_duplicates_at_once_make_one_version_and_get_one_answer(
    api: TestClient, auth: Auth, clock: Clock
) -> None:
    clock.now = NOW
    headers = reporter(auth, "T8", "t8-twice")

    def post(_: int) -> Any:
        return api.post(url("T8"), json={"figures": FIRST_FIGURES}, headers=headers)

    with ThreadPoolExecutor(4) as threads:
        answers = list(threads.map(post, range(4)))
    created = [a for a in answers if a.status_code == 201]
    # Each duplicate gets the first answer, or a 409 while the first one still runs.
    assert created and all(a.status_code in (201, 409) for a in answers)
    assert len({a.content for a in created}) == 1
    assert versions(api, auth, "T8") == 1


def test_a_statement_that_finds_the_key_taken_writes_nothing(
    api: TestClient, auth: Auth, clock: Clock, submissions_db: str
) -> None:
    """A duplicate's statement inserted the key and has not committed: the submission waits on
    the key's row, then writes nothing once the duplicate commits, and the duplicate's answer
    is replayed."""
    clock.now = NOW
    headers = reporter(auth, "T9", "t9-duplicate")
    body = {"figures": FIRST_FIGURES}
    probe = api.post(url("T9"), json={"figures": {**FIRST_FIGURES, "workers": -1}}, headers=headers)
    assert probe.status_code == 422  # its kept row names the caller's partition

    async def scenario() -> tuple[Any, int]:
        pool = await create_pool(submissions_db, min_size=2, max_size=3)
        try:
            scope = await pool.fetchval(
                "DELETE FROM idempotency_keys WHERE key = 't9-duplicate' RETURNING scope"
            )
            holder = await pool.acquire()
            await holder.execute("BEGIN")
            await holder.execute(
                "INSERT INTO idempotency_keys (scope, key, request_hash, lease_token, "
                "lease_expires_at, status_code, headers, body, completed_at, applied_at) "
                "VALUES ($1, 't9-duplicate', $2, gen_random_uuid(), now(), 201, $3, $4, "
                "now(), now())",
                scope,
                fingerprint_of(url("T9"), body),
                [["content-type", "application/json"]],
                b'{"duplicate":true}',
            )
            with ThreadPoolExecutor(1) as thread:
                sent = asyncio.wrap_future(
                    thread.submit(api.post, url("T9"), json=body, headers=headers)
                )
                await until_a_lock_wait(pool, message="the submission never waited on the key")
                await holder.execute("COMMIT")
                await pool.release(holder)
                answer = await sent
            written = await pool.fetchval(
                "SELECT count(*) FROM reports WHERE window_id = $1 AND designation_id = 'T9'", W
            )
            return answer, written
        finally:
            await pool.close()

    answer, written = asyncio.run(scenario())
    assert answer.status_code == 201 and answer.headers["idempotent-replayed"] == "true"
    assert answer.content == b'{"duplicate":true}' and written == 0
