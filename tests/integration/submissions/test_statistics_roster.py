"""The frozen roster of statistics reporters (issue 13, "the same frozen roster"): the province
registers its bureaus, a city bureau its monitored enterprises (003 二（四）16 组织典型企业…报送);
a period expects the reporters registered when it opened, whatever changes later, and
completeness counts the missing ones."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from shared.db.pool import connect
from submissions.db import statistics_queries as queries
from submissions.db.statistics_repository import figures_in_force, published_reads
from submissions.domain.statistics.periods import parse_period, period_opens_at
from tests.integration.submissions.conftest import Clock, cst

QINGHAI = "qinghai-2024-2026"
XINING, CHENGDONG, CHENGZHONG, DATONG = "630100", "630102", "630103", "630121"
REGISTER = f"/v1/statistics/reporters/{QINGHAI}"


def test_a_period_expects_the_reporters_registered_when_it_opened(
    api: TestClient, clock: Clock, auth: Callable[..., dict[str, str]]
) -> None:
    province, city = auth("province_admin", "630000"), auth("city_bureau", XINING)
    clock.now = cst(2025, 2, 20, 9)
    for code in (CHENGDONG, CHENGZHONG, DATONG):
        created = api.post(
            REGISTER,
            json={"reporter_id": code, "reporter_kind": "county", "region_code": code},
            headers={**province, "Idempotency-Key": f"reg-{code}"},
        )
        assert created.status_code == 201, created.text
    again = api.post(
        REGISTER,
        json={"reporter_id": DATONG, "reporter_kind": "county", "region_code": DATONG},
        headers={**province, "Idempotency-Key": f"reg-{DATONG}"},
    )
    assert again.status_code == 201 and again.json() == created.json()  # replayed
    twice = api.post(
        REGISTER,
        json={"reporter_id": DATONG, "reporter_kind": "county", "region_code": DATONG},
        headers=province,
    )
    assert twice.status_code == 409 and twice.json()["reason"] == "already_registered"
    # A city bureau registers its monitored enterprises, not bureaus nor another city's.
    enterprise = {"reporter_id": "E-qh-1", "reporter_kind": "enterprise", "region_code": CHENGDONG}
    assert api.post(REGISTER, json=enterprise, headers=city).status_code == 201
    bureau = {"reporter_id": CHENGDONG, "reporter_kind": "county", "region_code": CHENGDONG}
    assert api.post(REGISTER, json=bureau, headers=city).status_code == 403
    elsewhere = {"reporter_id": "E-hd", "reporter_kind": "enterprise", "region_code": "630202"}
    assert api.post(REGISTER, json=elsewhere, headers=city).status_code in (403, 404)
    wrong = {"reporter_id": "630101", "reporter_kind": "county", "region_code": "630102"}
    refused = api.post(REGISTER, json=wrong, headers=province)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reporter_id"

    # March opens on 1 April: Chengzhong is removed before, an enterprise added after.
    clock.now = cst(2025, 3, 15, 9)
    removal = f"{REGISTER}/{CHENGZHONG}/removal"
    removed = api.post(removal, headers=province)
    assert removed.status_code == 200 and removed.json()["removed_at"]
    assert api.post(removal, headers=province).status_code == 404
    clock.now = cst(2025, 4, 2, 9)
    late = {"reporter_id": "E-qh-2", "reporter_kind": "enterprise", "region_code": DATONG}
    assert api.post(REGISTER, json=late, headers=city).status_code == 201

    def roster(period: str, headers: dict[str, str]) -> dict[str, Any]:
        response = api.get(f"/v1/statistics/roster/{QINGHAI}/{period}", headers=headers)
        assert response.status_code == 200, response.text
        return {e["reporter_id"]: e for e in response.json()["items"]}

    # February opened on 1 March: the three bureaus and the first enterprise.
    assert set(roster("2025-02", province)) == {CHENGDONG, CHENGZHONG, DATONG, "E-qh-1"}
    assert set(roster("2025-03", province)) == {CHENGDONG, DATONG, "E-qh-1"}
    march = roster("2025-03", auth("county_bureau", DATONG))
    assert set(march) == {DATONG} and march[DATONG]["state"] is None  # not reported yet
    page = api.get(
        f"/v1/statistics/roster/{QINGHAI}/2025-03", params={"limit": 2}, headers=province
    ).json()
    assert len(page["items"]) == 2 and page["next_cursor"]

    # Completeness of the published figures counts who is missing.
    submitted = api.post(
        f"/v1/statistics/reports/{QINGHAI}/2025-03/{DATONG}/versions",
        json={
            "reporter_kind": "county",
            "region_code": DATONG,
            "figures": {"online_retail_sales": "10"},
        },
        headers=auth("county_bureau", DATONG),
    )
    assert submitted.status_code == 201, submitted.text
    published = api.get(
        "/v1/statistics",
        params={"indicator": "online_retail_sales", "period": "2025-03", "region": XINING},
        headers=province,
    ).json()
    county = published["completeness"]["county"]
    assert (county["expected"], county["reports"], county["missing"]) == (2, 1, 1)
    assert published["completeness"]["enterprise"]["missing"] == 1
    assert roster("2025-03", province)[DATONG]["state"] == "submitted"


def test_the_published_views_one_statement_reads_what_its_three_did(
    submissions_db: str,
) -> None:
    """``published_reads`` (one round trip) against FIGURES, REPORT_STATES and ROSTER_COUNTS
    run alone, over this module's roster and reports: the same figures per period, and the
    same counts, in the order of their kinds."""

    async def compare() -> None:
        connection = await connect(submissions_db)
        try:
            # the region's LIKE pattern: a city's subtree, the province's, a county alone
            for period, pattern in (("2025-03", "6301%"), ("2025-03", "63%"), ("2025-02", DATONG)):
                key = parse_period(period)
                periods = [period, str(key.previous()), str(key.a_year_earlier())]
                opens_at = period_opens_at(key)
                reads = await published_reads(
                    connection,
                    programme_id=QINGHAI,
                    indicators=["online_retail_sales"],
                    periods=periods,
                    root="630000",
                    period=period,
                    region_like=pattern,
                    opens_at=opens_at,
                )
                alone = await figures_in_force(
                    connection,
                    programme_id=QINGHAI,
                    indicators=["online_retail_sales"],
                    periods=periods,
                    root="630000",
                )
                assert {p: sorted(f) for p, f in reads.figures.items()} == {
                    p: sorted(f) for p, f in alone.items()
                }
                states = await connection.fetch(queries.REPORT_STATES, QINGHAI, period, pattern)
                roster = await connection.fetch(
                    queries.ROSTER_COUNTS, QINGHAI, period, opens_at, pattern
                )
                assert reads.report_states == sorted(
                    (dict(r) for r in states), key=lambda r: (r["reporter_kind"], r["state"])
                )
                assert reads.roster_counts == sorted(
                    (dict(r) for r in roster), key=lambda r: r["reporter_kind"]
                )
                assert reads.roster_counts  # the roster this module registered is counted
        finally:
            await connection.close()

    asyncio.run(compare())
