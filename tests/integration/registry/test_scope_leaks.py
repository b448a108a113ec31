"""Registry scope leaks (issue 7): import jobs across provinces and callers, enterprises
attached by callers who may not act for them, unknown token regions, and Idempotency-Key claims
made inside the route's transaction."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from fastapi.testclient import TestClient

from tests.integration.registry.test_imports import as_csv, stores, upload
from tests.integration.registry.test_records_api import enterprise

Auth = Callable[..., dict[str, str]]


pytestmark = pytest.mark.usefixtures("running_importer")


def test_import_jobs_are_scoped_to_their_creator_and_its_administration(
    registry_api: TestClient, auth: Auth
) -> None:
    clerk = auth("city_bureau", "522600", subject="qdn-clerk")
    job = upload(registry_api, auth, "stores", as_csv(stores(2)), "dry_run", **clerk)
    url = f"/v1/import-jobs/{job['id']}"
    first_url = f"/v1/imports/{job['id']}"  # the job's first path still answers, as scoped
    qinghai = auth("province_admin", "630000", subject="qh-admin")
    system = auth("integrator", None, grants=["write"], subject="another-system")
    neighbour = auth("city_bureau", "520100", subject="gy-clerk")
    for outsider in (qinghai, system, neighbour):
        assert registry_api.get(url, headers=outsider).status_code == 404
        assert registry_api.get(first_url, headers=outsider).status_code == 404
        assert registry_api.get(f"{url}/errors.csv", headers=outsider).status_code == 404
        listed = registry_api.get("/v1/import-jobs", headers=outsider).json()["items"]
        assert job["id"] not in [item["id"] for item in listed]
    guizhou = auth("province_admin", "520000", subject="gz-admin")
    assert registry_api.get(url, headers=guizhou).status_code == 200
    assert (
        registry_api.get(first_url, headers=guizhou).json()
        == registry_api.get(url, headers=guizhou).json()
    )
    listed = registry_api.get("/v1/import-jobs", params={"limit": 100}, headers=guizhou).json()
    assert job["id"] in [item["id"] for item in listed["items"]]


def test_the_same_file_from_another_caller_is_that_callers_own_job(
    registry_api: TestClient, auth: Auth
) -> None:
    body = as_csv(stores(1))
    first = upload(
        registry_api, auth, "stores", body, "good_rows", **auth(subject="first-importer")
    )
    again = upload(
        registry_api, auth, "stores", body, "good_rows", **auth(subject="first-importer")
    )
    assert again["id"] == first["id"]  # the same caller's earlier run
    other = upload(
        registry_api,
        auth,
        "stores",
        body,
        "good_rows",
        **auth("integrator", None, grants=["write"], subject="second-importer"),
    )
    assert other["id"] != first["id"] and other["status"] == "succeeded"
    assert other["loaded_rows"] == 0 and other["skipped_rows"] == 1  # already there


def test_an_operator_cannot_repoint_its_records_to_an_enterprise_it_does_not_act_for(
    registry_api: TestClient, auth: Auth
) -> None:
    mine, other = enterprise(registry_api, auth), enterprise(registry_api, auth)
    operator = auth("operator", None, enterprise_ids=[mine["id"]], subject="op-repoint")
    store = registry_api.post(
        "/v1/stores",
        json={
            "platform": "pinduoduo",
            "platform_shop_id": secrets.token_hex(4),
            "name": "我的店",
            "region_code": "520102",
            "owner_enterprise_id": mine["id"],
        },
        headers=operator,
    )
    assert store.status_code == 201, store.text
    repointed = registry_api.patch(
        f"/v1/stores/{store.json()['id']}",
        json={"owner_enterprise_id": other["id"]},
        headers={**operator, "If-Match": store.headers["ETag"]},
    )
    assert repointed.status_code == 422
    assert repointed.json()["errors"][0]["field"] == "body.owner_enterprise_id"
    park = registry_api.post(
        "/v1/parks",
        json={
            "kind": "live_base",
            "name": "我的基地",
            "region_code": "520102",
            "operator_enterprise_id": mine["id"],
        },
        headers=operator,
    )
    assert park.status_code == 201, park.text
    handed_over = registry_api.patch(
        f"/v1/parks/{park.json()['id']}",
        json={"operator_enterprise_id": other["id"]},
        headers={**operator, "If-Match": park.headers["ETag"]},
    )
    assert handed_over.status_code == 422
    resident = registry_api.post(
        f"/v1/parks/{park.json()['id']}/residents",
        json={"enterprise_id": other["id"], "joined_on": "2025-01-02"},
        headers=operator,
    )
    assert resident.status_code == 422
    own = registry_api.post(
        f"/v1/parks/{park.json()['id']}/residents",
        json={"enterprise_id": mine["id"], "joined_on": "2025-01-02"},
        headers=operator,
    )
    assert own.status_code == 201, own.text
    # The region's administration may still attach any enterprise it sees.
    by_bureau = registry_api.post(
        f"/v1/parks/{park.json()['id']}/residents",
        json={"enterprise_id": other["id"], "joined_on": "2025-01-02"},
        headers=auth(),
    )
    assert by_bureau.status_code == 201, by_bureau.text


def test_an_unknown_token_region_is_refused_on_lists_and_exports(
    registry_api: TestClient, auth: Auth
) -> None:
    unknown = auth("province_admin", "990000")
    for path in ("/v1/enterprises", "/v1/stores", "/v1/exports/enterprises.csv",
                 "/v1/exports/stores.xlsx"):  # fmt: skip
        response = registry_api.get(path, headers=unknown)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_creates_and_closes_claim_their_key_in_their_own_transaction(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    key = secrets.token_hex(8)
    body = {
        "platform": "pinduoduo",
        "platform_shop_id": secrets.token_hex(4),
        "name": "幂等店",
        "region_code": "520102",
        "owner_individual": "李某",
    }
    headers = {**auth(subject="claimer"), "Idempotency-Key": key}
    created = registry_api.post("/v1/stores", json=body, headers=headers)
    assert created.status_code == 201, created.text
    row = asyncio.run(_key_row(registry_db, key))
    assert row["applied_at"] is not None and row["status_code"] == 201
    again = registry_api.post("/v1/stores", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == created.json()
    assert again.headers["Location"] == created.headers["Location"]
    close_key = secrets.token_hex(8)
    close = {
        **auth(subject="claimer"),
        "Idempotency-Key": close_key,
        "If-Match": created.headers["ETag"],
    }
    url = f"{created.headers['Location']}/close"
    closed = registry_api.post(url, json={"reason": "停业"}, headers=close)
    assert closed.status_code == 200, closed.text
    assert asyncio.run(_key_row(registry_db, close_key))["applied_at"] is not None
    assert registry_api.post(url, json={"reason": "停业"}, headers=close).json() == closed.json()


async def _key_row(dsn: str, key: str) -> dict[str, Any]:
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow("SELECT * FROM idempotency_keys WHERE key = $1", key)
    finally:
        await connection.close()
    assert row is not None
    return dict(row)
