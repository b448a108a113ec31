"""Reading a cursor-paged list as a client does, and checking it refuses foreign cursors."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from shared.http.pagination import encode_cursor

# Cursors no list issues, whatever its key: not base64 JSON, or a key of nobody's.
FOREIGN_TO_ALL = ["%%%not-a-cursor", encode_cursor({"x": 1})]


def walk(
    api: TestClient, url: str, headers: dict[str, str], *, limit: int, **params: Any
) -> list[list[dict[str, Any]]]:
    """Every page of ``url``, following ``next_cursor`` until there is none."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get(url, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"}
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor does not move on"


def assert_cursors_refused(
    api: TestClient, url: str, headers: dict[str, str], foreign: list[str]
) -> None:
    """Each cursor is a 400 ``bad_cursor`` problem; a limit of 0 or past 500 is a 422."""
    for cursor in FOREIGN_TO_ALL + foreign:
        response = api.get(url, params={"cursor": cursor}, headers=headers)
        assert response.status_code == 400, (cursor, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "bad_cursor"
    for limit in (0, 501):
        assert api.get(url, params={"limit": limit}, headers=headers).status_code == 422
