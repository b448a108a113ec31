"""The annual report outlives the targets' horizon (004_9c19d9a85d8c1f73.txt).

Guizhou's targets end 到2025年 (一, the programme file's ``period.end`` 2025-12-31), but every
designated project reports 于每年12月10日 and stays under 动态管理 (三(三)) for as long as its
designation is in force. In December 2026 the province opens the 2026 report; its roster,
review, completeness and deadline clock work as they did for 2025. Past the period a year is
owed only while a designation of the window's categories is in force, and never before its
own year begins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from shared.db.pool import create_pool
from submissions.handlers import clock as clock_handlers
from submissions.handlers.common import Context
from submissions.workflows.types import OpenResult, TickResult
from tests.integration.submissions.conftest import PROGRAMME, WINDOW, Clock, cst, window_id

Auth = Callable[..., dict[str, str]]
W2026 = window_id(2026)
FIGURES = {
    "online_retail_sales": "250000000.00",
    "physical_goods_online_retail_sales": "200000000.00",  # 2亿: the traffic subsidy's basis
    "workers": 48,
}


def opening(year: int) -> dict[str, object]:
    return {"programme_id": PROGRAMME, "window": WINDOW, "year": year}


def reporter(auth: Auth, entity: str) -> dict[str, str]:
    return auth("operator", None, enterprise_ids=[entity], subject=f"user-{entity}")


@pytest.fixture(scope="module", autouse=True)
def december_2026(clock: Clock) -> None:
    clock.now = cst(2026, 12, 6, 10)  # a Sunday in December 2026: the 2026 report is due


def test_past_the_period_a_year_is_owed_only_while_a_designation_is_in_force(
    api: TestClient, auth: Auth, designate: Callable[..., int], clock: Clock
) -> None:
    designate("Y1", region="520102", at=cst(2024, 6, 1))
    designate("Y1", region="520102", at=cst(2026, 3, 1), revoke=True)  # 运营不达标
    refused = api.post("/v1/windows", json=opening(2026), headers=auth())
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert (error["field"], error["type"]) == ("body.year", "no_designation_in_force")
    assert "2025-12-31" in error["message"]


def test_the_province_opens_the_2026_report_in_december_2026(
    api: TestClient, auth: Auth, designate: Callable[..., int], clock: Clock
) -> None:
    designate("Y2", region="520102", at=cst(2024, 6, 1))  # 贵阳, enterprise
    designate("Y3", region="520302", category="park", at=cst(2025, 6, 1))  # 遵义, park
    not_begun = api.post("/v1/windows", json=opening(2027), headers=auth())
    assert not_begun.status_code == 422, not_begun.text
    assert not_begun.json()["errors"][0]["type"] == "year_not_begun"

    opened = api.post("/v1/windows", json=opening(2026), headers=auth())
    assert opened.status_code == 201, opened.text
    body = opened.json()
    assert body["id"] == W2026 and body["year"] == 2026
    assert body["due_at"] == "2026-12-10T16:00:00Z"  # the end of 10 December 2026, China time
    assert body["locks_at"] == "2026-12-31T16:00:00Z"
    assert body["opens_at"] == "2026-10-31T16:00:00Z"  # 1 November, China time: it was due
    roster = api.get(f"/v1/windows/{W2026}/roster", headers=auth()).json()
    assert [e["designation_id"] for e in roster["items"]] == ["Y2", "Y3"]  # not revoked Y1
    assert api.post("/v1/windows", json=opening(2026), headers=auth()).status_code == 409


def test_a_designated_enterprise_reports_the_city_recommends_the_province_accepts(
    api: TestClient, auth: Auth, clock: Clock
) -> None:
    base = f"/v1/windows/{W2026}/reports/Y2"
    clock.now = cst(2026, 12, 8, 15)
    # 2亿 of online retail and the 实物商品网络零售额 left blank: the traffic subsidy (004 四(二)3)
    # is computed from that figure, so the enterprise must give it (the programme's default)
    blank = {k: v for k, v in FIGURES.items() if k != "physical_goods_online_retail_sales"}
    refused = api.post(f"{base}/versions", json={"figures": blank}, headers=reporter(auth, "E-Y2"))
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert error["field"] == "body.figures.physical_goods_online_retail_sales"
    assert error["type"] == "required_for_reward" and "流量补贴" in error["message"]
    submitted = api.post(
        f"{base}/versions", json={"figures": FIGURES}, headers=reporter(auth, "E-Y2")
    )
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["on_time"] is True and submitted.json()["version"] == 1

    clock.now = cst(2026, 12, 9, 10)
    city = auth("city_bureau", "520100")
    recommended = api.post(f"{base}/city-review", json={"decision": "recommend"}, headers=city)
    assert recommended.status_code == 200, recommended.text
    assert recommended.json()["state"] == "recommended"

    clock.now = cst(2026, 12, 10, 9)
    accepted = api.post(f"{base}/province-review", json={"decision": "accept"}, headers=auth())
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"

    completeness = api.get(f"/v1/windows/{W2026}/completeness", headers=auth()).json()
    province = completeness["province"]
    assert (province["expected"], province["submitted"], province["accepted"]) == (2, 1, 1)
    assert (province["on_time"], province["missing"]) == (1, 1)
    assert completeness["missing_by_bureau"]["520300"] == ["Y3"]


def test_the_2026_clock_opens_reminds_and_locks_as_for_2025(
    submissions_db: str, context: Context
) -> None:
    async def run() -> tuple[OpenResult, OpenResult, list[TickResult]]:
        pool = await create_pool(submissions_db, min_size=1, max_size=2)
        try:
            in_force = await clock_handlers.windows_with_designations_in_force(
                pool, context.programmes
            )
            assert (PROGRAMME, WINDOW) in in_force
            reached = await clock_handlers.open_if_due(
                pool, context, programme_id=PROGRAMME, window=WINDOW, year=2026,
                requested_at=cst(2026, 12, 6, 11), now=cst(2026, 12, 6, 11),
            )  # fmt: skip
            # 2024 is within the period: it runs as before, whatever is in force
            before = await clock_handlers.open_if_due(
                pool, context, programme_id=PROGRAMME, window=WINDOW, year=2024,
                requested_at=cst(2024, 10, 1), now=cst(2024, 10, 1),
            )  # fmt: skip
            ticks = [
                await clock_handlers.tick(pool, context, window_id=W2026, now=at)
                for at in (
                    cst(2026, 12, 6, 11),  # opened late: the latest missed reminder, late
                    cst(2026, 12, 8, 0, 1),  # 3 days before: Tuesday 8 December 2026, 00:00
                    cst(2026, 12, 10, 0, 1),  # 1 day before: Thursday 10 December
                    cst(2026, 12, 11, 0, 1),  # the due time has passed
                    cst(2027, 1, 1, 0, 1),  # the lock
                )
            ]
            return reached, before, ticks
        finally:
            await pool.close()

    reached, before, (missed, reminder, last, due, locked) = asyncio.run(run())
    assert reached.open and not reached.gone and reached.window_id == W2026
    assert not before.open and not before.gone
    assert (missed.emitted, missed.late) == ("before-7d", True)
    assert missed.skipped == ["before-30d", "before-14d"]
    assert (reminder.emitted, reminder.late, reminder.skipped) == ("before-3d", False, [])
    assert (last.emitted, last.late) == ("before-1d", False)
    assert (due.emitted, due.late, due.skipped) == ("due", False, [])
    assert locked.locked


def test_when_every_designation_is_revoked_the_next_year_is_not_owed(
    submissions_db: str, context: Context, designate: Callable[..., int]
) -> None:
    """A clock started for a year past the period finds nothing owed when its time comes."""
    for designation in ("Y2", "Y3"):
        category = "park" if designation == "Y3" else "enterprise"
        region = "520302" if designation == "Y3" else "520102"
        designate(designation, region=region, category=category, at=cst(2027, 3, 1), revoke=True)

    async def run() -> tuple[frozenset[tuple[str, str]], OpenResult]:
        pool = await create_pool(submissions_db, min_size=1, max_size=2)
        try:
            in_force = await clock_handlers.windows_with_designations_in_force(
                pool, context.programmes
            )
            result = await clock_handlers.open_if_due(
                pool, context, programme_id=PROGRAMME, window=WINDOW, year=2027,
                requested_at=cst(2027, 11, 1), now=cst(2027, 11, 1),
            )  # fmt: skip
            return in_force, result
        finally:
            await pool.close()

    in_force, result = asyncio.run(run())
    assert (PROGRAMME, WINDOW) not in in_force
    assert result.gone and not result.open
