"""A record's history and a park's residents are paged like every list that grows: ``items`` and
``next_cursor``, ``limit`` 50 by default and at most 500, keyset order (a change's id; a
residence's join date, then its id), and a cursor this API did not issue is a 400."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from shared.http.pagination import encode_cursor
from tests.integration.registry.test_records_api import enterprise
from tests.support.pages import assert_cursors_refused, walk

Auth = Callable[..., dict[str, str]]


def assert_bad_cursor(api: TestClient, url: str, headers: dict[str, str]) -> None:
    foreign = [
        encode_cursor({"created_at": "2025-01-01T00:00:00+00:00", "id": "nope"}),
        encode_cursor({"change": 2**70}),
        encode_cursor({"change": "3"}),
        encode_cursor({"joined_on": "yesterday", "id": "00000000-0000-0000-0000-000000000000"}),
    ]
    assert_cursors_refused(api, url, headers, foreign)


def rename(api: TestClient, auth: Auth, url: str, name: str) -> None:
    etag = api.get(url, headers=auth()).headers["ETag"]
    changed = api.patch(url, json={"name": name}, headers={**auth(), "If-Match": etag})
    assert changed.status_code == 200, changed.text


def test_history_pages_oldest_first_without_duplicate_or_gap(
    registry_api: TestClient, auth: Auth
) -> None:
    record = enterprise(registry_api, auth)
    url = f"/v1/enterprises/{record['id']}"
    for n in range(6):
        rename(registry_api, auth, url, f"贵阳黔货电子商务有限公司{n}")

    pages = walk(registry_api, f"{url}/history", auth(), limit=2)
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    changes = [change for page in pages for change in page]
    assert [change["version"] for change in changes] == [1, 2, 3, 4, 5, 6, 7]
    assert [change["action"] for change in changes] == ["registered"] + ["updated"] * 6
    # A page as large as the list holds it all, and says there is no more.
    whole = registry_api.get(f"{url}/history", params={"limit": 7}, headers=auth()).json()
    assert whole["items"] == changes and whole["next_cursor"] is None
    # Without a limit, 50 a page.
    assert registry_api.get(f"{url}/history", headers=auth()).json()["items"] == changes


def test_a_change_made_while_a_client_reads_on_comes_on_a_later_page(
    registry_api: TestClient, auth: Auth
) -> None:
    record = enterprise(registry_api, auth)
    url = f"/v1/enterprises/{record['id']}"
    rename(registry_api, auth, url, "第一次改名")
    rename(registry_api, auth, url, "第二次改名")
    first = registry_api.get(f"{url}/history", params={"limit": 2}, headers=auth()).json()
    rename(registry_api, auth, url, "第三次改名")
    rest = registry_api.get(
        f"{url}/history", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth()
    ).json()
    assert [c["version"] for c in first["items"] + rest["items"]] == [1, 2, 3, 4]
    assert rest["next_cursor"] is None


def test_history_refuses_a_cursor_it_did_not_issue(registry_api: TestClient, auth: Auth) -> None:
    record = enterprise(registry_api, auth)
    assert_bad_cursor(registry_api, f"/v1/enterprises/{record['id']}/history", auth())


@pytest.fixture
def park(registry_api: TestClient, auth: Auth) -> str:
    response = registry_api.post(
        "/v1/parks",
        json={"kind": "industrial_park", "name": "贵阳电商产业园", "region_code": "520102"},
        headers=auth(),
    )
    assert response.status_code == 201, response.text
    park_id: str = response.json()["id"]
    return park_id


def test_residents_page_in_join_order_without_duplicate_or_gap(
    registry_api: TestClient, auth: Auth, park: str
) -> None:
    url = f"/v1/parks/{park}/residents"
    # Three join on one day, so the id decides their order within it.
    days = ["2025-03-01", "2024-06-15", "2025-03-01", "2025-03-01", "2023-01-10", "2024-12-31"]
    joined = []
    for day in days:
        response = registry_api.post(
            url,
            json={"enterprise_id": enterprise(registry_api, auth)["id"], "joined_on": day},
            headers=auth(),
        )
        assert response.status_code == 201, response.text
        joined.append(response.json())
    left = registry_api.post(
        f"{url}/{joined[1]['id']}/leave", json={"left_on": "2024-09-30"}, headers=auth()
    )
    assert left.status_code == 200, left.text

    expected = sorted(joined, key=lambda r: (r["joined_on"], r["id"]))
    everyone = walk(registry_api, url, auth(), limit=2, include_former="true")
    assert [len(page) for page in everyone] == [2, 2, 2]
    assert [r["id"] for page in everyone for r in page] == [r["id"] for r in expected]

    current = walk(registry_api, url, auth(), limit=2)
    assert [len(page) for page in current] == [2, 2, 1]
    staying = [r["id"] for r in expected if r["id"] != joined[1]["id"]]
    assert [r["id"] for page in current for r in page] == staying
    assert all(r["left_on"] is None for page in current for r in page)


def test_residents_refuse_a_cursor_they_did_not_issue(
    registry_api: TestClient, auth: Auth, park: str
) -> None:
    assert_bad_cursor(registry_api, f"/v1/parks/{park}/residents", auth())
