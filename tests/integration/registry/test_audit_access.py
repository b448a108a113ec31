"""Access records (exports, unmasked personal data) and the /v1/audit API over them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from registry.api.app import create_app
from registry.config import RegistrySettings
from tests.integration.registry.test_audit_routes import Walk, _fetch

Auth = Callable[..., dict[str, str]]


@pytest.fixture(scope="module")
def proxied_api(registry_settings: Callable[..., RegistrySettings]) -> Iterator[TestClient]:
    """The API behind a trusted proxy at 10.0.0.5 (the test client's address)."""
    settings = registry_settings(trusted_proxies="10.0.0.0/24")
    with TestClient(create_app(settings), client=("10.0.0.5", 40000)) as client:
        yield client


def test_an_export_is_recorded_with_its_filters(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    response = registry_api.get(
        "/v1/exports/stores.csv", params={"region": "520100", "q": "店"}, headers=auth()
    )
    assert response.status_code == 200
    [row] = _fetch(
        registry_db,
        "SELECT * FROM audit_log WHERE request_id = $1",
        response.headers["X-Request-ID"],
    )
    assert (row["kind"], row["action"], row["resource_type"]) == (
        "access", "store.exported", "store",
    )  # fmt: skip
    assert '"region": "520100"' in row["details"] and '"format": "csv"' in row["details"]


def test_unmasked_contacts_leave_an_access_record_masked_ones_do_not(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    walk = Walk(registry_api, auth)
    body = walk.create_body("enterprises") | {"contact_phone": "13800138000"}
    ident = walk.send("POST", "/v1/enterprises", body).json()["id"]
    clear = registry_api.get(f"/v1/enterprises/{ident}", headers=auth())
    assert clear.json()["contact_phone"] == "13800138000"
    masked = registry_api.get(f"/v1/enterprises/{ident}", headers=auth("expert", "520000"))
    assert masked.json()["contact_phone"] != "13800138000"
    query = "SELECT action, resource_id FROM audit_log WHERE request_id = $1"
    assert [tuple(r) for r in _fetch(registry_db, query, clear.headers["X-Request-ID"])] == [
        ("enterprise.read", ident)
    ]
    assert _fetch(registry_db, query, masked.headers["X-Request-ID"]) == []
    listed = registry_api.get("/v1/enterprises", params={"q": body["name"]}, headers=auth())
    assert [r["action"] for r in _fetch(registry_db, query, listed.headers["X-Request-ID"])] == [
        "enterprise.listed"
    ]


def test_the_province_reads_its_province_a_city_bureau_its_own_region(
    registry_api: TestClient, auth: Auth
) -> None:
    walk = Walk(registry_api, auth)
    tag = secrets.token_hex(3)
    for region in ("520102", "522601"):
        body = walk.create_body("stores") | {"region_code": region, "name": f"审计{tag}"}
        walk.send("POST", "/v1/stores", body)
    province = registry_api.get(
        "/v1/audit", params={"resource_type": "store", "limit": 500}, headers=auth()
    ).json()
    regions = {item["region_code"] for item in province["items"]}
    assert {"520102", "522601"} <= regions
    city = registry_api.get(
        "/v1/audit", params={"resource_type": "store", "limit": 500},
        headers=auth("city_bureau", "520100"),
    ).json()  # fmt: skip
    assert city["items"] and {item["region_code"][:4] for item in city["items"]} == {"5201"}
    assert registry_api.get("/v1/audit", headers=auth("operator", None)).status_code == 403
    assert registry_api.get("/v1/audit", headers=auth("expert", "520000")).status_code == 403


def test_pages_follow_the_cursor_newest_first(registry_api: TestClient, auth: Auth) -> None:
    walk = Walk(registry_api, auth)
    for _ in range(3):
        walk.record("brands")
    first = registry_api.get(
        "/v1/audit", params={"resource_type": "brand", "limit": 2}, headers=auth()
    ).json()
    second = registry_api.get(
        "/v1/audit",
        params={"resource_type": "brand", "limit": 2, "cursor": first["next_cursor"]},
        headers=auth(),
    ).json()
    seqs = [item["seq"] for item in first["items"] + second["items"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == len(seqs) >= 3
    item = first["items"][0]
    in_china = dt.datetime.fromisoformat(item["recorded_at"]) + dt.timedelta(hours=8)
    assert item["recorded_at_china"] == in_china.strftime("%Y-%m-%d %H:%M:%S")


def test_the_csv_export_and_reads_of_the_audit_are_recorded_too(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    Walk(registry_api, auth).record("teams")
    response = registry_api.get("/v1/audit.csv", params={"resource_type": "team"}, headers=auth())
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "时间(北京时间)", "类别"]
    assert any(row[3] == "team.registered" for row in rows[1:])
    [record] = _fetch(
        registry_db,
        "SELECT action, details FROM audit_log WHERE request_id = $1",
        response.headers["X-Request-ID"],
    )
    assert record["action"] == "audit.export" and '"resource_type": "team"' in record["details"]


def test_behind_a_trusted_proxy_the_forwarded_client_is_recorded(
    proxied_api: TestClient, auth: Auth, registry_db: str
) -> None:
    body = Walk(proxied_api, auth).create_body("parks")
    response = proxied_api.post(
        "/v1/parks",
        json=body,
        headers={
            **auth(),
            "X-Forwarded-For": "198.51.100.7, 10.0.0.9",
            "User-Agent": "GovTerminal/1.0 (Windows NT 10.0)",
        },
    )
    assert response.status_code == 201
    [row] = _fetch(
        registry_db,
        "SELECT client_ip, user_agent FROM audit_log WHERE request_id = $1",
        response.headers["X-Request-ID"],
    )
    assert tuple(row) == ("198.51.100.7", "GovTerminal/1.0 (Windows NT 10.0)")
