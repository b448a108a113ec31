"""The registry's records through its REST API, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
from fastapi.testclient import TestClient

from registry.domain.credit_code import check_character
from tests.support.languages import wholly_chinese, wholly_english

Auth = Callable[..., dict[str, str]]


def credit_code() -> str:
    first17 = "91520102" + "".join(secrets.choice("0123456789") for _ in range(9))
    return first17 + check_character(first17)


def enterprise(api: TestClient, auth: Auth, **fields: Any) -> dict[str, Any]:
    body = {
        "credit_code": credit_code(),
        "name": "贵阳黔货电子商务有限公司",
        "region_code": "520102",
        **fields,
    }
    response = api.post("/v1/enterprises", json=body, headers=auth())
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_bad_check_character_names_the_expected_one(registry_api: TestClient, auth: Auth) -> None:
    code = credit_code()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = registry_api.post(
        "/v1/enterprises",
        json={"credit_code": wrong, "name": "某公司", "region_code": "520102"},
        headers=auth(),
    )
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["errors"][0]["field"] == "body.credit_code"
    assert code[-1] in problem["detail"] and wholly_chinese(problem["detail"])
    english = registry_api.post(
        "/v1/enterprises",
        json={"credit_code": wrong, "name": "某公司", "region_code": "520102"},
        headers={**auth(), "Accept-Language": "en"},
    )
    assert "the first 17 characters call for" in english.json()["detail"]
    assert wholly_english(english.json()["detail"])


def test_one_code_one_enterprise(registry_api: TestClient, auth: Auth) -> None:
    first = enterprise(registry_api, auth)
    again = registry_api.post(
        "/v1/enterprises",
        json={
            "credit_code": first["credit_code"].lower(),
            "name": "另一家",
            "region_code": "520102",
        },
        headers=auth(),
    )
    assert again.status_code == 409
    assert again.json()["existing_id"] == first["id"]


def test_unknown_region_and_platform_are_refused_with_the_allowed_values(
    registry_api: TestClient, auth: Auth
) -> None:
    response = registry_api.post(
        "/v1/enterprises",
        json={"credit_code": credit_code(), "name": "某公司", "region_code": "520199"},
        headers=auth(),
    )
    assert response.status_code == 422
    assert any("520102" in value for value in response.json()["allowed_values_under_parent"])
    store = registry_api.post(
        "/v1/stores",
        json={
            "platform": "ebay",
            "platform_shop_id": "1",
            "name": "店",
            "region_code": "520102",
            "owner_individual": "张三",
        },
        headers=auth(),
    )
    assert store.status_code == 422
    error = store.json()["errors"][0]
    assert error["field"] == "body.platform"
    assert "taobao" in error["message"]


def test_a_city_bureau_writes_only_in_its_subtree_and_cannot_see_others(
    registry_api: TestClient, auth: Auth
) -> None:
    zunyi = enterprise(registry_api, auth, region_code="520302")
    guiyang = auth("city_bureau", "520100")
    outside = registry_api.post(
        "/v1/enterprises",
        json={"credit_code": credit_code(), "name": "遵义某公司", "region_code": "520302"},
        headers=guiyang,
    )
    assert outside.status_code == 403
    assert registry_api.get(f"/v1/enterprises/{zunyi['id']}", headers=guiyang).status_code == 404
    listed = registry_api.get("/v1/enterprises", headers=guiyang).json()["items"]
    assert all(item["region_code"].startswith("5201") for item in listed)


def test_update_needs_the_current_etag_and_history_keeps_old_and_new(
    registry_api: TestClient, auth: Auth
) -> None:
    record = enterprise(registry_api, auth)
    url = f"/v1/enterprises/{record['id']}"
    assert registry_api.patch(url, json={"name": "新名称"}, headers=auth()).status_code == 428
    stale = registry_api.patch(url, json={"name": "新名称"}, headers={**auth(), "If-Match": '"7"'})
    assert stale.status_code == 412
    etag = registry_api.get(url, headers=auth()).headers["ETag"]
    updated = registry_api.patch(url, json={"name": "新名称"}, headers={**auth(), "If-Match": etag})
    assert updated.status_code == 200, updated.text
    assert updated.json()["version"] == 2
    history = registry_api.get(f"{url}/history", headers=auth()).json()["items"]
    assert [change["action"] for change in history] == ["registered", "updated"]
    assert history[1]["old_values"] == {"name": record["name"]}
    assert history[1]["new_values"] == {"name": "新名称"}


def test_close_keeps_the_record(registry_api: TestClient, auth: Auth) -> None:
    owner = enterprise(registry_api, auth)
    store = registry_api.post(
        "/v1/stores",
        json={
            "platform": "douyin",
            "platform_shop_id": secrets.token_hex(4),
            "name": "黔味小店",
            "region_code": "520102",
            "owner_enterprise_id": owner["id"],
            "opened_on": "2024-03-01",
        },
        headers=auth(),
    )
    assert store.status_code == 201, store.text
    url = f"/v1/stores/{store.json()['id']}"
    closed = registry_api.post(
        f"{url}/close",
        json={"closed_on": "2025-06-30"},
        headers={**auth(), "If-Match": store.headers["ETag"]},
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_on"] == "2025-06-30"
    assert registry_api.get(url, headers=auth()).json()["status"] == "closed"


def test_store_is_unique_per_platform_and_shop_id(registry_api: TestClient, auth: Auth) -> None:
    body = {
        "platform": "taobao",
        "platform_shop_id": secrets.token_hex(4),
        "name": "店",
        "region_code": "520102",
        "owner_individual": "李四",
    }
    assert registry_api.post("/v1/stores", json=body, headers=auth()).status_code == 201
    assert registry_api.post("/v1/stores", json=body, headers=auth()).status_code == 409


def test_name_search_finds_chinese_names_in_relevance_order(
    registry_api: TestClient, auth: Auth
) -> None:
    tag = secrets.token_hex(2)
    for name in (f"遵义茶叶电子商务有限公司{tag}", f"湄潭翠芽茶叶{tag}", f"贵州辣椒食品{tag}"):
        enterprise(registry_api, auth, name=name)
    found = registry_api.get("/v1/enterprises", params={"q": "茶叶"}, headers=auth()).json()[
        "items"
    ]
    names = [item["name"] for item in found]
    assert f"湄潭翠芽茶叶{tag}" in names and f"遵义茶叶电子商务有限公司{tag}" in names
    assert f"贵州辣椒食品{tag}" not in names
    assert names[0] == f"湄潭翠芽茶叶{tag}"  # the closer match first


def test_cursor_paging_walks_every_record_once(registry_api: TestClient, auth: Auth) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "region": "520000"}
        if cursor:
            params["cursor"] = cursor
        page = registry_api.get("/v1/enterprises", params=params, headers=auth()).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) >= 5


def test_residents_join_and_leave(registry_api: TestClient, auth: Auth) -> None:
    operator = enterprise(registry_api, auth)
    resident = enterprise(registry_api, auth)
    park = registry_api.post(
        "/v1/parks",
        json={
            "kind": "live_base",
            "name": "贵阳直播基地",
            "region_code": "520102",
            "operator_enterprise_id": operator["id"],
            "floor_area_m2": "12000.50",
            "live_rooms": 40,
        },
        headers=auth(),
    )
    assert park.status_code == 201, park.text
    assert park.json()["floor_area_m2"] == "12000.50"
    residents = f"/v1/parks/{park.json()['id']}/residents"
    joined = registry_api.post(
        residents, json={"enterprise_id": resident["id"], "joined_on": "2024-01-15"}, headers=auth()
    )
    assert joined.status_code == 201, joined.text
    twice = registry_api.post(
        residents, json={"enterprise_id": resident["id"], "joined_on": "2024-02-01"}, headers=auth()
    )
    assert twice.status_code == 409
    left = registry_api.post(
        f"{residents}/{joined.json()['id']}/leave", json={"left_on": "2025-01-31"}, headers=auth()
    )
    assert left.status_code == 200
    assert registry_api.get(residents, headers=auth()).json() == {"items": [], "next_cursor": None}
    former = registry_api.get(residents, params={"include_former": True}, headers=auth()).json()
    assert len(former["items"]) == 1 and former["next_cursor"] is None


def test_contacts_are_masked_for_callers_who_do_not_administer_the_region(
    registry_api: TestClient, auth: Auth
) -> None:
    record = enterprise(
        registry_api, auth, contact_phone="13812345678", contact_email="boss@example.cn"
    )
    integrator = registry_api.get(
        f"/v1/enterprises/{record['id']}", headers=auth("integrator", None)
    )
    assert integrator.status_code == 200
    assert integrator.json()["contact_phone"] == "138****5678"
    assert integrator.json()["contact_email"] == "b***@example.cn"
    assert record["contact_phone"] == "13812345678"


def test_an_integrator_writes_nothing_unless_granted(registry_api: TestClient, auth: Auth) -> None:
    body = {"credit_code": credit_code(), "name": "某公司", "region_code": "520102"}
    assert (
        registry_api.post(
            "/v1/enterprises", json=body, headers=auth("integrator", None)
        ).status_code
        == 403
    )
    granted = auth("integrator", None, grants=["write"])
    assert registry_api.post("/v1/enterprises", json=body, headers=granted).status_code == 201


def test_each_change_is_one_event_in_the_outbox(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    owner = enterprise(registry_api, auth)
    team = registry_api.post(
        "/v1/teams",
        json={
            "enterprise_id": owner["id"],
            "name": "黔货直播团队",
            "region_code": "520102",
            "hosts": 5,
        },
        headers=auth(),
    )
    assert team.status_code == 201, team.text
    url = f"/v1/teams/{team.json()['id']}"
    patched = registry_api.patch(
        url, json={"hosts": 8}, headers={**auth(), "If-Match": team.headers["ETag"]}
    )
    registry_api.post(
        f"{url}/close",
        json={"reason": "团队解散"},
        headers={**auth(), "If-Match": patched.headers["ETag"]},
    )

    async def events() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(registry_db)
        try:
            return list(
                await connection.fetch(
                    "SELECT event_type, convert_from(payload, 'UTF8')::jsonb AS envelope FROM outbox "
                    "WHERE message_key = $1 ORDER BY id",
                    team.json()["id"],
                )
            )
        finally:
            await connection.close()

    rows = asyncio.run(events())
    assert [row["event_type"] for row in rows] == [
        "registry.team.registered.v1",
        "registry.team.updated.v1",
        "registry.team.closed.v1",
    ]
    updated = json.loads(rows[1]["envelope"])  # a plain connection reads jsonb as text
    assert updated["data"]["changes"] == {"hosts": {"old": 5, "new": 8}}


def test_a_statistics_list_year_is_published_on_the_enterprise_topic(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    """限额以上/上规入统 is a record of its own (per enterprise and year): awards' traffic subsidy
    reads it from this event, never from a hand-typed copy (docs/rewards.md)."""
    ident = enterprise(registry_api, auth)["id"]
    path = f"/v1/enterprises/{ident}/statistics-years/2025"
    named: dict[str, str] = {}  # a creation names no version; a replacement the one read
    for listed in (True, False):
        put = registry_api.put(
            path, json={"year": 2025, "in_list": listed}, headers={**auth(), **named}
        )
        assert put.status_code == 200, put.text
        named = {"If-Match": registry_api.get(path, headers=auth()).headers["ETag"]}
        assert named["If-Match"] == put.headers["ETag"]
    missing = registry_api.put(path, json={"year": 2025, "in_list": True}, headers=auth())
    assert missing.status_code == 428
    weak = registry_api.put(
        path,
        json={"year": 2025, "in_list": True},
        headers={**auth(), "If-Match": "W/" + named["If-Match"]},
    )
    assert weak.status_code == 412

    async def events() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(registry_db)
        try:
            return list(
                await connection.fetch(
                    "SELECT event_type, topic, convert_from(payload, 'UTF8')::jsonb AS envelope "
                    "FROM outbox WHERE message_key = $1 AND event_type LIKE '%statistics_year%' "
                    "ORDER BY id",
                    ident,
                )
            )
        finally:
            await connection.close()

    rows = asyncio.run(events())
    assert [row["event_type"] for row in rows] == ["registry.enterprise.statistics_year_set.v1"] * 2
    assert rows[0]["topic"].endswith("registry.enterprise")
    data = [json.loads(row["envelope"])["data"] for row in rows]
    assert [(d["enterprise_id"], d["year"], d["in_list"]) for d in data] == [
        (ident, 2025, True),
        (ident, 2025, False),
    ]


def test_an_operator_sees_and_changes_only_its_own_records(
    registry_api: TestClient, auth: Auth
) -> None:
    mine = enterprise(registry_api, auth)
    other = enterprise(registry_api, auth)
    operator = auth("operator", None, enterprise_ids=[mine["id"]], subject="operator-1")
    assert registry_api.get(f"/v1/enterprises/{mine['id']}", headers=operator).status_code == 200
    assert registry_api.get(f"/v1/enterprises/{other['id']}", headers=operator).status_code == 404
    listed = registry_api.get("/v1/enterprises", headers=operator).json()["items"]
    assert [item["id"] for item in listed] == [mine["id"]]
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
    foreign = registry_api.post(
        "/v1/stores",
        json={
            "platform": "pinduoduo",
            "platform_shop_id": secrets.token_hex(4),
            "name": "别人的店",
            "region_code": "520102",
            "owner_enterprise_id": other["id"],
        },
        headers=operator,
    )
    assert foreign.status_code == 403


def test_a_created_at_day_filter_is_the_day_in_china(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    """01:30 Beijing time on 1 March is still 28 February in UTC: the filter's day is China's."""
    ident = enterprise(registry_api, auth)["id"]

    async def backdate() -> None:
        connection = await asyncpg.connect(registry_db)
        try:
            await connection.execute("SET TIME ZONE 'UTC'")
            await connection.execute(
                "UPDATE enterprises SET created_at = '2025-03-01 01:30+08' WHERE id = $1",
                uuid.UUID(ident),
            )
        finally:
            await connection.close()

    asyncio.run(backdate())
    listed = registry_api.get(
        "/v1/enterprises",
        params={"created_at_from": "2025-03-01", "created_at_to": "2025-03-01", "limit": 500},
        headers=auth(),
    )
    assert listed.status_code == 200, listed.text
    assert ident in [item["id"] for item in listed.json()["items"]]
    before = registry_api.get(
        "/v1/enterprises", params={"created_at_to": "2025-02-28", "limit": 500}, headers=auth()
    )
    assert ident not in [item["id"] for item in before.json()["items"]]
