"""A window's roster and extensions and a report's attachments and versions are paged like
every list that grows: ``items`` and ``next_cursor``, ``limit`` 50 by default and at most 500,
keyset order (the roster by designation, extensions by request time then id, attachments by the
time added then digest, versions by number), only what the caller may see, and a cursor this
API did not issue is a 400."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from shared.http.pagination import encode_cursor
from tests.integration.submissions.conftest import (
    Clock,
    cst,
    open_window_with_two_reporters,
    window_id,
)
from tests.support.pages import assert_cursors_refused, walk

W = window_id(2025)
Auth = Callable[..., dict[str, str]]
FIGURES = {
    "online_retail_sales": "1200000.50",
    "physical_goods_online_retail_sales": "800000",
    "workers": 35,
}


def reporter(auth: Auth, entity: str) -> dict[str, str]:
    return auth("operator", None, enterprise_ids=[entity], subject=f"user-{entity}")


@pytest.fixture(scope="module", autouse=True)
def opened(api: TestClient, auth: Auth, designate: Callable[..., int], clock: Clock) -> None:
    open_window_with_two_reporters(api, auth, designate, clock)


def assert_bad_cursor(api: TestClient, url: str, headers: dict[str, str]) -> None:
    foreign = [
        encode_cursor({"after": "D1"}),  # the reports list's own cursor
        encode_cursor({"number": 2**70}),
        encode_cursor({"number": "2"}),
        encode_cursor({"requested_at": "yesterday", "id": "nope"}),
        encode_cursor({"added_at": "2025-12-01T02:00:00+00:00", "sha256": "' OR 1=1"}),
    ]
    assert_cursors_refused(api, url, headers, foreign)


def instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_extensions_page_in_request_order_and_only_the_callers(
    api: TestClient, auth: Auth, clock: Clock
) -> None:
    url = f"/v1/windows/{W}/extensions"
    asks = [
        ("D1", reporter(auth, "E-D1")),
        ("D2", reporter(auth, "E-D2")),
        ("D1", auth("city_bureau", "520100")),
        ("D1", reporter(auth, "E-D1")),
        ("D2", reporter(auth, "E-D2")),
        ("D1", reporter(auth, "E-D1")),
    ]
    for n, (designation, headers) in enumerate(asks):
        # Pairs share a moment, so the id decides their order within it.
        clock.now = cst(2025, 12, 2, 10, n // 2)
        asked = api.post(
            url, json={"designation_id": designation, "reason": f"系统故障 {n}"}, headers=headers
        )
        assert asked.status_code == 201, asked.text
    clock.now = cst(2025, 12, 2, 11)

    whole = api.get(url, params={"limit": 500}, headers=auth()).json()
    assert whole["next_cursor"] is None and len(whole["items"]) == len(asks)
    ordered = whole["items"]
    assert ordered == sorted(ordered, key=lambda x: (instant(x["requested_at"]), x["id"]))
    pages = walk(api, url, auth(), limit=4)
    assert [len(page) for page in pages] == [4, 2]
    assert [x for page in pages for x in page] == ordered
    assert api.get(url, headers=auth()).json()["items"] == ordered  # 50 a page by default

    # A bureau's pages are full pages of what it may see, not pages thinned after the fact.
    for city, designation in (("520300", "D2"), ("520100", "D1")):
        mine = [x for x in ordered if x["designation_id"] == designation]
        pages = walk(api, url, auth("city_bureau", city), limit=1)
        assert [len(page) for page in pages] == [1] * len(mine)
        assert [x for page in pages for x in page] == mine
    zunyi = reporter(auth, "E-D2")
    assert {x["designation_id"] for page in walk(api, url, zunyi, limit=1) for x in page} == {"D2"}
    assert_bad_cursor(api, url, auth())


def test_attachments_page_in_the_order_added_without_duplicate_or_gap(
    api: TestClient, auth: Auth, clock: Clock
) -> None:
    url = f"/v1/windows/{W}/reports/D1/attachments"
    me = reporter(auth, "E-D1")
    for n in range(5):
        # Files added in one moment are ordered by their digest.
        clock.now = cst(2025, 12, 3, 10, n // 3)
        added = api.post(
            f"{url}?filename=附件{n}.pdf",
            content=b"%PDF-1.7\n" + f"发展情况报告 第{n}部分".encode() * 20,
            headers={**me, "Content-Type": "application/pdf"},
        )
        assert added.status_code == 201, added.text

    whole = api.get(url, params={"limit": 500}, headers=me).json()
    ordered = whole["items"]
    assert whole["next_cursor"] is None and len(ordered) == 5
    assert ordered == sorted(ordered, key=lambda a: (instant(a["added_at"]), a["sha256"]))
    pages = walk(api, url, me, limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [a for page in pages for a in page] == ordered
    assert api.get(url, headers=auth("city_bureau", "520100")).json()["items"] == ordered
    assert api.get(url, params={"limit": 2}, headers=reporter(auth, "E-D2")).status_code == 404
    assert_bad_cursor(api, url, me)


def test_versions_page_oldest_first_without_duplicate_or_gap(
    api: TestClient, auth: Auth, clock: Clock
) -> None:
    base = f"/v1/windows/{W}/reports/D2"
    me, city = reporter(auth, "E-D2"), auth("city_bureau", "520300")
    clock.now = cst(2025, 12, 4, 10)
    for n in range(5):
        figures = {**FIGURES, "workers": 35 + n}
        sent = api.post(f"{base}/versions", json={"figures": figures}, headers=me)
        assert sent.status_code == 201, sent.text
        if n < 4:
            back = api.post(
                f"{base}/city-review",
                json={"decision": "return", "field_comments": {"workers": "请核实"}},
                headers=city,
            )
            assert back.status_code == 200, back.text

    pages = walk(api, f"{base}/versions", city, limit=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    versions = [v for page in pages for v in page]
    assert [v["number"] for v in versions] == [1, 2, 3, 4, 5]
    assert [v["figures"]["workers"] for v in versions] == [35, 36, 37, 38, 39]
    whole = api.get(f"{base}/versions", headers=me).json()
    assert whole == {"items": versions, "next_cursor": None}
    assert api.get(f"{base}/versions", headers=reporter(auth, "E-D1")).status_code == 404
    assert_bad_cursor(api, f"{base}/versions", me)


def test_the_roster_pages_by_designation_without_duplicate_or_gap(
    api: TestClient, auth: Auth, designate: Callable[..., int], clock: Clock
) -> None:
    url = f"/v1/windows/{W}/roster"
    # Seven more reporters granted while the window is open: each joins the roster as added.
    added = [f"R{n}" for n in range(7)]
    for n, designation in enumerate(added):
        region = "520102" if n % 2 else "520302"
        assert designate(designation, region=region, at=cst(2025, 11, 20, 9)) == 1
    clock.now = cst(2025, 12, 2, 12)

    whole = api.get(url, params={"limit": 500}, headers=auth()).json()
    assert set(whole) == {"items", "next_cursor"} and whole["next_cursor"] is None
    ordered = whole["items"]
    ids = [entry["designation_id"] for entry in ordered]
    assert ids == sorted(ids) and set(ids) == {"D1", "D2", *added}
    changes = {e["designation_id"]: [c["kind"] for c in e["changes"]] for e in ordered}
    assert changes == {"D1": ["frozen"], "D2": ["frozen"], **{d: ["added"] for d in added}}

    pages = walk(api, url, auth(), limit=4)
    assert [len(page) for page in pages] == [4, 4, 1]
    assert [entry for page in pages for entry in page] == ordered  # no duplicate, no gap
    assert api.get(url, headers=auth()).json()["items"] == ordered  # 50 a page by default

    # A bureau's pages are full pages of its own reporters, not pages thinned after the fact.
    guiyang = [e for e in ordered if e["region_code"].startswith("5201")]
    pages = walk(api, url, auth("city_bureau", "520100"), limit=1)
    assert [len(page) for page in pages] == [1] * len(guiyang)
    assert [entry for page in pages for entry in page] == guiyang
    mine = walk(api, url, reporter(auth, "E-D2"), limit=1)
    assert [entry["designation_id"] for page in mine for entry in page] == ["D2"]

    assert_bad_cursor(api, url, auth())
    # Each list's cursor is its own: the roster's is refused by the reports list.
    roster_cursor = api.get(url, params={"limit": 1}, headers=auth()).json()["next_cursor"]
    refused = api.get(f"/v1/windows/{W}/reports", params={"cursor": roster_cursor}, headers=auth())
    assert refused.status_code == 400 and refused.json()["code"] == "bad_cursor"
