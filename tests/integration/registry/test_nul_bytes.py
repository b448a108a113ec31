"""A NUL byte anywhere in the input is a 4xx problem, never a 500 from PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

Auth = Callable[..., dict[str, str]]


@pytest.mark.parametrize("path", ["/v1/enterprises", "/v1/stores", "/v1/exports/stores.xlsx"])
def test_a_nul_in_q_is_a_422(registry_api: TestClient, auth: Auth, path: str) -> None:
    response = registry_api.get(path, params={"q": "黔\x00货"}, headers=auth())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "query.q"


def test_a_nul_in_a_csv_export_filter_is_a_422_not_a_dropped_connection(
    registry_api: TestClient, auth: Auth
) -> None:
    response = registry_api.get(
        "/v1/exports/stores.csv", params={"category": "a\x00"}, headers=auth()
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.category"


def test_a_nul_in_a_body_string_is_a_422_naming_the_field(
    registry_api: TestClient, auth: Auth
) -> None:
    response = registry_api.post(
        "/v1/parks",
        json={"kind": "industrial_park", "name": "园\x00区", "region_code": "520102"},
        headers=auth(),
    )
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["body.name"]
