"""Draft saving on real PostgreSQL: a reporter saves an incomplete report, comes back to it,
and submits later; the draft is no version, counts as nothing, and goes with the submission."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import pytest
from fastapi.testclient import TestClient

from tests.integration.submissions.conftest import (
    Clock,
    cst,
    open_window_with_two_reporters,
    window_id,
)

W = window_id(2025)
Auth = Callable[..., dict[str, str]]
DRAFT = f"/v1/windows/{W}/reports/D1/draft"


def reporter(auth: Auth, entity: str) -> dict[str, str]:
    return auth("operator", None, enterprise_ids=[entity], subject=f"user-{entity}")


@pytest.fixture(scope="module", autouse=True)
def opened(api: TestClient, auth: Auth, designate: Callable[..., int], clock: Clock) -> None:
    open_window_with_two_reporters(api, auth, designate, clock)


def test_an_incomplete_report_is_saved_as_a_draft_and_submitted_later(
    api: TestClient, auth: Auth, submissions_db: str
) -> None:
    me = reporter(auth, "E-D1")
    first = api.put(DRAFT, json={"figures": {"online_retail_sales": "1000.50"}}, headers=me)
    assert first.status_code == 200, first.text
    saved = first.json()
    assert saved["figures"] == {"online_retail_sales": "1000.50"}
    # What still stops a submission is said, not refused: the draft is incomplete by design.
    assert {p["field"] for p in saved["pending"]} >= {"workers"}
    assert saved["saved_by"] == "user-E-D1"

    again = {"figures": {"online_retail_sales": "1200", "workers": 3}}
    assert api.put(DRAFT, json=again, headers=me).status_code == 200
    read = api.get(DRAFT, headers=me)
    assert read.status_code == 200
    assert read.json()["figures"] == {"online_retail_sales": "1200", "workers": 3}
    assert read.json()["revision"] == 2
    assert read.headers["ETag"] == '"2"'

    # If-Match is optional; sent, it compares strongly with the current revision.
    for stale in ('"1"', 'W/"2"'):
        refused = api.put(DRAFT, json=again, headers={**me, "If-Match": stale})
        assert refused.status_code == 412, stale
    guarded = api.put(DRAFT, json=again, headers={**me, "If-Match": '"2"'})
    assert guarded.status_code == 200 and guarded.headers["ETag"] == '"3"'

    # A draft is no submission: no version, not submitted in the completeness figures.
    assert api.get(f"/v1/windows/{W}/reports/D1/versions", headers=me).status_code == 404
    completeness = api.get(f"/v1/windows/{W}/completeness", headers=auth()).json()
    assert completeness["province"]["submitted"] == 0

    # The city bureau of its region sees it; another reporter or bureau does not.
    assert api.get(DRAFT, headers=auth("city_bureau", "520100")).status_code == 200
    assert api.get(DRAFT, headers=reporter(auth, "E-D2")).status_code == 404
    assert api.get(DRAFT, headers=auth("city_bureau", "520300")).status_code == 404
    assert api.put(DRAFT, json=again, headers=reporter(auth, "E-D2")).status_code == 404

    figures = {
        "online_retail_sales": "1200",
        "physical_goods_online_retail_sales": "800",
        "workers": 3,
    }
    submitted = api.post(
        f"/v1/windows/{W}/reports/D1/versions",
        json={"figures": figures},
        headers={**me, "Idempotency-Key": "draft-then-submit"},
    )
    assert submitted.status_code == 201, submitted.text
    # Submitted: the draft went with it, and no new draft while the city reviews.
    assert api.get(DRAFT, headers=me).status_code == 404
    refused = api.put(DRAFT, json=again, headers=me)
    assert refused.status_code == 409
    assert refused.json()["reason"] == "under_review"

    async def audited() -> int:
        connection = await asyncpg.connect(submissions_db)
        try:
            return int(
                await connection.fetchval(
                    "SELECT count(*) FROM audit_log WHERE action = 'report.draft_saved' "
                    "AND resource_id = $1",
                    f"{W}/D1",
                )
            )
        finally:
            await connection.close()

    assert asyncio.run(audited()) == 3


def test_a_draft_with_an_unknown_indicator_or_a_wrong_type_is_refused(
    api: TestClient, auth: Auth
) -> None:
    me = reporter(auth, "E-D2")
    path = f"/v1/windows/{W}/reports/D2/draft"
    unknown = api.put(path, json={"figures": {"no_such_figure": 1}}, headers=me)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.figures.no_such_figure"
    wrong = api.put(path, json={"figures": {"workers": "many"}}, headers=me)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.figures.workers"
    assert api.get(path, headers=me).status_code == 404


def test_a_window_that_takes_no_report_takes_no_draft(
    api: TestClient, auth: Auth, clock: Clock
) -> None:
    saved_at = clock.now
    clock.now = cst(2026, 3, 1, 9)  # past the window's lock
    try:
        locked = api.put(
            f"/v1/windows/{W}/reports/D2/draft",
            json={"figures": {"workers": 2}},
            headers=reporter(auth, "E-D2"),
        )
        assert locked.status_code == 409
        assert locked.json()["reason"] in ("locked", "past_grace")
    finally:
        clock.now = saved_at
