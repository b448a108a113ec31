"""The change warning reads last year's accepted figures (validation ``large_change``): the
reporter's own report in the same programme's previous window, accepted, its latest version.
Nothing else counts: another reporter's figures, a report not accepted, another year."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.integration.submissions.conftest import PROGRAMME, WINDOW, Clock, cst, window_id

Auth = Callable[..., dict[str, str]]
W2024, W2025 = window_id(2024), window_id(2025)
FIGURES = {
    "online_retail_sales": "1000000.00",
    "physical_goods_online_retail_sales": "800000",
    "workers": 40,
}
TRIPLED = {**FIGURES, "workers": 120}  # +200 % against 40: over the template's 50 %


def reporter(auth: Auth, entity: str) -> dict[str, str]:
    return auth("operator", None, enterprise_ids=[entity], subject=f"user-{entity}")


def submit(
    api: TestClient, auth: Auth, window: str, designation: str, body: dict[str, object]
) -> httpx.Response:
    return api.post(
        f"/v1/windows/{window}/reports/{designation}/versions",
        json=body,
        headers=reporter(auth, f"E-{designation}"),
    )


@pytest.fixture(scope="module", autouse=True)
def last_year(api: TestClient, auth: Auth, designate: Callable[..., int], clock: Clock) -> None:
    """2024: L1 accepted (a returned first version, then a second), L2 submitted but never
    accepted; both windows opened, the clock in December 2025."""
    for designation in ("L1", "L2", "L3"):
        designate(designation, region="520102", at=cst(2024, 6, 1))
    clock.now = cst(2024, 11, 1, 9)
    opening = {"programme_id": PROGRAMME, "window": WINDOW, "year": 2024}
    assert api.post("/v1/windows", json=opening, headers=auth()).status_code == 201
    clock.now = cst(2024, 12, 5, 10)
    city, base = auth("city_bureau", "520100"), f"/v1/windows/{W2024}/reports"
    first = submit(api, auth, W2024, "L1", {"figures": {**FIGURES, "workers": 10}})
    assert first.status_code == 201, first.text
    returned = api.post(
        f"{base}/L1/city-review",
        json={"decision": "return", "field_comments": {"workers": "核实"}},
        headers=city,
    )
    assert returned.status_code == 200, returned.text
    assert submit(api, auth, W2024, "L1", {"figures": FIGURES}).status_code == 201
    for step, decision, who in (("city", "recommend", city), ("province", "accept", auth())):
        done = api.post(f"{base}/L1/{step}-review", json={"decision": decision}, headers=who)
        assert done.status_code == 200, done.text
    assert submit(api, auth, W2024, "L2", {"figures": FIGURES}).status_code == 201
    clock.now = cst(2025, 11, 1, 9)
    opening = {**opening, "year": 2025}
    assert api.post("/v1/windows", json=opening, headers=auth()).status_code == 201
    clock.now = cst(2025, 12, 5, 10)


def test_a_large_change_against_last_years_accepted_version_needs_an_explanation(
    api: TestClient, auth: Auth
) -> None:
    refused = submit(api, auth, W2025, "L1", {"figures": TRIPLED})
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert [(e["field"], e["type"]) for e in errors] == [
        ("body.figures.workers", "explanation_required")
    ]

    explained = submit(
        api, auth, W2025, "L1", {"figures": TRIPLED, "explanations": {"workers": "扩大经营"}}
    )
    assert explained.status_code == 201, explained.text
    (warning,) = explained.json()["warnings"]
    assert (warning["field"], warning["code"]) == ("workers", "large_change")
    assert warning["explanation"] == "扩大经营"
    # Against the accepted second version (40), not the returned first (10): +200.0 %.
    assert "+200.0" in warning["message"] and " 40 " in warning["message"], warning


def test_only_an_accepted_report_of_the_same_reporter_counts(api: TestClient, auth: Auth) -> None:
    for designation in ("L2", "L3"):  # not accepted last year; none last year
        taken = submit(api, auth, W2025, designation, {"figures": TRIPLED})
        assert taken.status_code == 201, taken.text
        assert taken.json()["warnings"] == []
