"""What the registry's record API tells callers: no record a caller may not read named in a
409, contacts masked in history as in reads, no contacts in events, 4xx (never 500) for
bodies the database would refuse, and If-Match on close as on PATCH."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from fastapi.testclient import TestClient

from tests.integration.registry.test_records_api import credit_code, enterprise

Auth = Callable[..., dict[str, str]]
NAMING_FIELDS = {"existing_id", "existing_name", "existing_url"}


def store_body(**fields: Any) -> dict[str, Any]:
    return {
        "platform": "taobao",
        "platform_shop_id": secrets.token_hex(6),
        "name": "黔货小店",
        "region_code": "520102",
        **fields,
    }


def etag(api: TestClient, auth: Auth, url: str) -> str:
    return api.get(url, headers=auth()).headers["ETag"]


# 409 on a duplicate natural key ---------------------------------------------------------------


def test_a_duplicate_credit_code_is_not_named_to_a_caller_who_may_not_read_the_record(
    registry_api: TestClient, auth: Auth
) -> None:
    zunyi = enterprise(registry_api, auth, region_code="520302", name="遵义不公开的公司")
    body = {"credit_code": zunyi["credit_code"], "name": "贵阳某公司", "region_code": "520102"}
    guiyang = registry_api.post("/v1/enterprises", json=body, headers=auth("city_bureau", "520100"))
    assert guiyang.status_code == 409
    assert guiyang.headers["content-type"].startswith("application/problem+json")
    assert not NAMING_FIELDS & guiyang.json().keys()
    assert zunyi["id"] not in guiyang.text and zunyi["name"] not in guiyang.text
    province = registry_api.post("/v1/enterprises", json=body, headers=auth())
    assert province.status_code == 409
    assert province.json()["existing_id"] == zunyi["id"]
    assert province.json()["existing_name"] == zunyi["name"]


def test_a_duplicate_shop_id_is_named_to_an_operator_only_for_its_own_store(
    registry_api: TestClient, auth: Auth
) -> None:
    mine, theirs = enterprise(registry_api, auth), enterprise(registry_api, auth)
    operator = auth("operator", None, enterprise_ids=[mine["id"]], subject="operator-409")
    foreign = store_body(owner_enterprise_id=theirs["id"], name="别人的店")
    assert registry_api.post("/v1/stores", json=foreign, headers=auth()).status_code == 201
    taken = registry_api.post(
        "/v1/stores", json={**foreign, "owner_enterprise_id": mine["id"]}, headers=operator
    )
    assert taken.status_code == 409
    assert not NAMING_FIELDS & taken.json().keys()
    assert "别人的店" not in taken.text
    own = store_body(owner_enterprise_id=mine["id"])
    first = registry_api.post("/v1/stores", json=own, headers=operator)
    assert first.status_code == 201, first.text
    again = registry_api.post("/v1/stores", json=own, headers=operator)
    assert again.status_code == 409
    assert again.json()["existing_id"] == first.json()["id"]


# Personal data in history and events ----------------------------------------------------------


def test_history_masks_contacts_for_callers_whose_reads_mask_them(
    registry_api: TestClient, auth: Auth
) -> None:
    record = enterprise(
        registry_api, auth, contact_phone="13812345678", contact_email="boss@example.cn"
    )
    url = f"/v1/enterprises/{record['id']}"
    changed = registry_api.patch(
        url,
        json={"contact_phone": "13987654321"},
        headers={**auth(), "If-Match": etag(registry_api, auth, url)},
    )
    assert changed.status_code == 200, changed.text

    integrator = registry_api.get(f"{url}/history", headers=auth("integrator", None))
    assert integrator.status_code == 200
    registered, updated = integrator.json()["items"]
    assert registered["new_values"]["contact_phone"] == "138****5678"
    assert registered["new_values"]["contact_email"] == "b***@example.cn"
    assert updated["old_values"] == {"contact_phone": "138****5678"}
    assert updated["new_values"] == {"contact_phone": "139****4321"}
    assert "13812345678" not in integrator.text and "13987654321" not in integrator.text

    province = registry_api.get(f"{url}/history", headers=auth()).json()["items"]
    assert province[1]["new_values"] == {"contact_phone": "13987654321"}


def test_events_say_that_contacts_changed_without_their_values(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    record = enterprise(registry_api, auth, contact_phone="13812345678")
    url = f"/v1/enterprises/{record['id']}"
    changed = registry_api.patch(
        url,
        json={"name": "改名后的公司", "contact_phone": "13987654321", "contact_email": "a@b.cn"},
        headers={**auth(), "If-Match": etag(registry_api, auth, url)},
    )
    assert changed.status_code == 200, changed.text

    async def updated_event() -> str:
        connection = await asyncpg.connect(registry_db)
        try:
            payload: str = await connection.fetchval(
                "SELECT convert_from(payload, 'UTF8') FROM outbox WHERE message_key = $1 "
                "AND event_type = 'registry.enterprise.updated.v1'",
                record["id"],
            )
            return payload
        finally:
            await connection.close()

    payload = asyncio.run(updated_event())
    data = json.loads(payload)["data"]
    assert data["changes"] == {"name": {"old": record["name"], "new": "改名后的公司"}}
    assert data["personal_data_changed"] == ["contact_email", "contact_phone"]
    for secret in ("13812345678", "13987654321", "a@b.cn"):
        assert secret not in payload


# The legacy credit-code override ---------------------------------------------------------------


def test_the_legacy_override_waives_only_the_check_character(
    registry_api: TestClient, auth: Auth
) -> None:
    reason = {"name": "旧代码企业", "region_code": "520102", "legacy_code_reason": "2015年前颁发"}
    for malformed in ("ABC", "%", "\u0001" * 18):
        refused = registry_api.post(
            "/v1/enterprises", json={"credit_code": malformed, **reason}, headers=auth()
        )
        assert refused.status_code == 422, (malformed, refused.text)
        assert refused.json()["errors"][0]["field"] == "body.credit_code"
    code = credit_code()
    wrong_check = code[:-1] + ("0" if code[-1] != "0" else "1")
    accepted = registry_api.post(
        "/v1/enterprises", json={"credit_code": wrong_check, **reason}, headers=auth()
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["credit_code_override"] is True


# Bodies the database would refuse are 422, not 500 -------------------------------------------


@pytest.mark.parametrize("field", ["name", "region_code", "kinds"])
def test_patching_a_required_field_to_null_is_422(
    registry_api: TestClient, auth: Auth, field: str
) -> None:
    record = enterprise(registry_api, auth)
    url = f"/v1/enterprises/{record['id']}"
    response = registry_api.patch(
        url, json={field: None}, headers={**auth(), "If-Match": etag(registry_api, auth, url)}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == [f"body.{field}"]


def test_patching_a_store_name_to_null_is_422(registry_api: TestClient, auth: Auth) -> None:
    store = registry_api.post(
        "/v1/stores", json=store_body(owner_individual="张三"), headers=auth()
    )
    url = f"/v1/stores/{store.json()['id']}"
    response = registry_api.patch(
        url, json={"name": None}, headers={**auth(), "If-Match": store.headers["ETag"]}
    )
    assert response.status_code == 422, response.text


def test_a_store_without_an_owner_is_422_naming_the_owner_fields(
    registry_api: TestClient, auth: Auth
) -> None:
    response = registry_api.post("/v1/stores", json=store_body(), headers=auth())
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"body.owner_enterprise_id", "body.owner_individual"}

    store = registry_api.post(
        "/v1/stores", json=store_body(owner_individual="李四"), headers=auth()
    )
    orphaned = registry_api.patch(
        f"/v1/stores/{store.json()['id']}",
        json={"owner_individual": None},
        headers={**auth(), "If-Match": store.headers["ETag"]},
    )
    assert orphaned.status_code == 422, orphaned.text
    assert "body.owner_individual" in {e["field"] for e in orphaned.json()["errors"]}


def test_a_product_of_an_unknown_brand_is_422(registry_api: TestClient, auth: Auth) -> None:
    owner = enterprise(registry_api, auth)
    response = registry_api.post(
        "/v1/products",
        json={
            "enterprise_id": owner["id"],
            "brand_id": "00000000-0000-4000-8000-000000000000",
            "name": "刺梨汁",
            "region_code": "520102",
        },
        headers=auth(),
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.brand_id"


def test_counts_beyond_the_columns_range_are_422(registry_api: TestClient, auth: Auth) -> None:
    owner = enterprise(registry_api, auth)
    response = registry_api.post(
        "/v1/teams",
        json={
            "enterprise_id": owner["id"],
            "name": "直播团队",
            "region_code": "520102",
            "hosts": 2**40,
        },
        headers=auth(),
    )
    assert response.status_code == 422, response.text


# Close needs If-Match, as PATCH does ------------------------------------------------------------


def test_close_needs_the_current_etag(registry_api: TestClient, auth: Auth) -> None:
    record = enterprise(registry_api, auth)
    url = f"/v1/enterprises/{record['id']}"
    missing = registry_api.post(f"{url}/close", json={}, headers=auth())
    assert missing.status_code == 428
    assert missing.headers["content-type"].startswith("application/problem+json")
    stale = registry_api.post(f"{url}/close", json={}, headers={**auth(), "If-Match": '"99"'})
    assert stale.status_code == 412
    assert registry_api.get(url, headers=auth()).json()["status"] == "active"
    closed = registry_api.post(
        f"{url}/close", json={}, headers={**auth(), "If-Match": etag(registry_api, auth, url)}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"


def test_the_openapi_document_says_close_and_patch_need_if_match(registry_api: TestClient) -> None:
    paths = registry_api.get("/openapi.json").json()["paths"]
    for path, method in (
        ("/v1/stores/{record_id}/close", "post"),
        ("/v1/stores/{record_id}", "patch"),
    ):
        operation = paths[path][method]
        assert "If-Match" in operation["summary"]
        [if_match] = [p for p in operation["parameters"] if p["name"].lower() == "if-match"]
        # The description opens with what the header is ("The ETag you read.") and then says
        # it is required, so the check looks for the word, not where it stands.
        assert "Required: without it 428" in if_match["description"]
