"""Bulk imports through the registry's REST API, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import io
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import asyncpg
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from registry.api.app import create_app
from registry.config import RegistrySettings
from registry.domain.credit_code import check_character
from shared.events import default_catalog
from shared.events.envelope import EventEnvelope
from shared.events.registry import StoreRegistered

Auth = Callable[..., dict[str, str]]
CSV = {"Content-Type": "text/csv"}
XLSX = {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
WAIT = {"Prefer": "wait=30"}
STORE_HEADER = ["平台", "平台店铺ID", "店铺名称", "个人店主", "所属地区代码", "开店日期"]


def credit_code() -> str:
    first17 = "91520102" + "".join(secrets.choice("0123456789") for _ in range(9))
    return first17 + check_character(first17)


def as_csv(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def as_xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def stores(count: int, *, bad: dict[int, dict[str, str]] | None = None) -> list[list[str]]:
    """A header and ``count`` store rows; ``bad`` overrides fields of given data rows (0-based)."""
    tag = secrets.token_hex(4)
    rows = [STORE_HEADER]
    for i in range(count):
        values = {
            "平台": "抖音",
            "平台店铺ID": f"dy-{tag}-{i}",
            "店铺名称": f"黔东南苗绣小店{i}",
            "个人店主": "吴某",
            "所属地区代码": "522601",
            "开店日期": "2025-05-01",
        } | (bad or {}).get(i, {})
        rows.append([values[h] for h in STORE_HEADER])
    return rows


def count(dsn: str, sql: str, *args: Any) -> int:
    async def run() -> int:
        connection = await asyncpg.connect(dsn)
        try:
            return int(await connection.fetchval(sql, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def upload(
    api: TestClient, auth: Auth, kind: str, body: bytes, mode: str, **headers: str
) -> dict[str, Any]:
    response = api.post(
        f"/v1/imports/{kind}",
        params={"mode": mode},
        content=body,
        headers={**CSV, **WAIT, **auth(), **headers},
    )
    assert response.status_code in (200, 202), response.text
    job: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"/v1/imports/{job['id']}"
    return job


def stores_tagged(dsn: str, rows: list[list[str]]) -> int:
    prefix = rows[1][1].rsplit("-", 1)[0] + "-%"
    return count(dsn, "SELECT count(*) FROM stores WHERE platform_shop_id LIKE $1", prefix)


def assert_events_match_their_models(dsn: str, shop_ids: list[str]) -> None:
    """Imports build their events in SQL: each must parse as the published model."""

    async def payloads() -> list[bytes]:
        connection = await asyncpg.connect(dsn)
        try:
            rows = await connection.fetch(
                "SELECT o.payload FROM outbox o JOIN stores s ON s.id::text = o.message_key "
                "WHERE s.platform_shop_id = ANY($1)",
                shop_ids,
            )
            return [row["payload"] for row in rows]
        finally:
            await connection.close()

    catalog = default_catalog()
    for payload in asyncio.run(payloads()):
        envelope = EventEnvelope.model_validate_json(payload)
        event = catalog.parse(envelope)
        assert isinstance(event, StoreRegistered)
        assert envelope.subject == event.store_id and event.platform == "douyin"
        assert event.opened_on is not None and event.owner_individual == "吴某"


def test_a_dry_run_reports_every_bad_row_and_stores_nothing(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    rows = stores(
        6,
        bad={
            1: {"平台": "亚马逊"},
            3: {"所属地区代码": "529999", "开店日期": "2025-02-30"},
            4: {"个人店主": ""},
        },
    )
    outbox_before = count(registry_db, "SELECT count(*) FROM outbox")
    job = upload(registry_api, auth, "stores", as_csv(rows), "dry_run")
    assert job["status"] == "succeeded" and job["committed"] is False
    assert job["processed_rows"] == 6 and job["loaded_rows"] == 3 and job["error_rows"] == 3
    assert {(e["row"], e["column"]) for e in job["errors"]} == {
        (3, "平台"),
        (5, "所属地区代码"),
        (5, "开店日期"),
        (6, "所属企业统一社会信用代码"),
    }
    assert stores_tagged(registry_db, rows) == 0
    assert count(registry_db, "SELECT count(*) FROM outbox") == outbox_before
    errors = registry_api.get(f"/v1/imports/{job['id']}/errors.csv", headers=auth())
    lines = list(csv.reader(io.StringIO(errors.content.decode("utf-8-sig"))))
    assert lines[0] == ["行号", "列", "原因"] and len(lines) == 5 and lines[1][:2] == ["3", "平台"]


def test_all_or_nothing_with_a_bad_row_stores_nothing(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    rows = stores(4, bad={2: {"平台店铺ID": ""}})
    job = upload(registry_api, auth, "stores", as_csv(rows), "all_or_nothing")
    assert job["status"] == "rejected" and job["committed"] is False
    assert job["errors"] == [{"row": 4, "column": "平台店铺ID", "reason": "required"}]
    assert stores_tagged(registry_db, rows) == 0


def test_a_real_run_loads_records_events_and_history_together_and_only_once(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    rows = stores(25)
    body = as_csv(rows)
    job = upload(registry_api, auth, "stores", body, "all_or_nothing")
    assert job["status"] == "succeeded" and job["committed"] is True
    assert job["loaded_rows"] == 25 and job["progress"] == 1.0
    assert stores_tagged(registry_db, rows) == 25
    shop_ids = [row[1] for row in rows[1:]]
    events = count(
        registry_db,
        "SELECT count(*) FROM outbox o JOIN stores s ON s.id::text = o.message_key "
        "WHERE s.platform_shop_id = ANY($1) AND o.event_type = 'registry.store.registered.v1'",
        shop_ids,
    )
    history = count(
        registry_db,
        "SELECT count(*) FROM entity_changes c JOIN stores s ON s.id = c.entity_id "
        "WHERE s.platform_shop_id = ANY($1) AND c.action = 'imported'",
        shop_ids,
    )
    assert events == 25 and history == 25
    assert_events_match_their_models(registry_db, shop_ids)

    again = registry_api.post(
        "/v1/imports/stores",
        params={"mode": "good_rows"},
        content=body,
        headers={**CSV, **auth()},
    )
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    assert stores_tagged(registry_db, rows) == 25


def test_good_rows_loads_the_good_ones_and_skips_what_is_already_there(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    rows = stores(5, bad={0: {"开店日期": "yesterday"}})
    first = upload(registry_api, auth, "stores", as_csv(rows[:3]), "good_rows")
    assert (first["loaded_rows"], first["error_rows"]) == (1, 1)
    changed = [*rows, rows[2]]  # row 3 again: repeats an earlier row of this file
    second = upload(registry_api, auth, "stores", as_csv(changed), "good_rows")
    assert (second["loaded_rows"], second["skipped_rows"], second["error_rows"]) == (3, 1, 2)
    assert any("repeats" in e["reason"] and e["row"] == 7 for e in second["errors"])
    assert stores_tagged(registry_db, rows) == 4


def test_xlsx_enterprises_then_stores_and_residents_that_refer_to_them(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    codes = [credit_code() for _ in range(3)]
    enterprises = [["统一社会信用代码", "企业名称", "所属地区代码", "企业类型", "联系电话"]] + [
        [code, f"遵义黔北电商{i}有限公司", "520302", "platform、service", 13800000000 + i]
        for i, code in enumerate(codes)
    ]
    job = upload(registry_api, auth, "enterprises", as_xlsx(enterprises), "all_or_nothing", **XLSX)
    assert job["status"] == "succeeded" and job["loaded_rows"] == 3, job
    loaded = count(
        registry_db, "SELECT count(*) FROM enterprises WHERE credit_code = ANY($1)", codes
    )
    assert loaded == 3

    store_rows = [["平台", "平台店铺ID", "店铺名称", "所属企业统一社会信用代码", "所属地区代码"]]
    unknown_owner = credit_code()
    store_rows += [["京东", f"jd-{codes[0]}", "黔北好物", codes[0], "520302"]]
    store_rows += [["京东", f"jd-{unknown_owner}", "查无此企", unknown_owner, "520302"]]
    job = upload(registry_api, auth, "stores", as_xlsx(store_rows), "good_rows", **XLSX)
    assert job["loaded_rows"] == 1
    assert job["errors"][0]["row"] == 3 and "no enterprise" in job["errors"][0]["reason"]

    park = registry_api.post(
        "/v1/parks",
        json={"kind": "live_base", "name": "遵义直播基地", "region_code": "520302"},
        headers=auth(),
    ).json()
    residents = [["园区/基地ID", "统一社会信用代码", "入驻日期", "退出日期"]]
    residents += [
        [park["id"], codes[1], "2025-01-01", ""],
        [park["id"], codes[2], "2025-02-01", "2025-06-30"],
    ]
    job = upload(registry_api, auth, "residents", as_csv(residents), "all_or_nothing")
    assert job["status"] == "succeeded" and job["loaded_rows"] == 2, job
    listed = registry_api.get(
        f"/v1/parks/{park['id']}/residents", params={"include_former": "true"}, headers=auth()
    )
    assert sorted(r["left_on"] or "" for r in listed.json()) == ["", "2025-06-30"]


def test_a_city_bureau_imports_only_inside_its_city(registry_api: TestClient, auth: Auth) -> None:
    rows = stores(2, bad={1: {"所属地区代码": "520102"}})  # row 3: Guiyang, not Qiandongnan
    job = upload(
        registry_api, auth, "stores", as_csv(rows), "dry_run", **auth("city_bureau", "522600")
    )
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(3, "所属地区代码")]
    assert "outside" in job["errors"][0]["reason"]
    operator = registry_api.post(
        "/v1/imports/stores", content=as_csv(rows), headers={**CSV, **auth("operator", None)}
    )
    assert operator.status_code == 403


def test_a_wrong_header_or_a_gb18030_file(registry_api: TestClient, auth: Auth) -> None:
    job = upload(registry_api, auth, "stores", as_csv([["店铺", "地址"], ["a", "b"]]), "dry_run")
    assert job["status"] == "failed" and "所属地区代码" in job["failure"]
    excel_chinese = as_csv(stores(2), encoding="gb18030")
    job = upload(registry_api, auth, "stores", excel_chinese, "dry_run")
    assert job["status"] == "succeeded" and job["loaded_rows"] == 2, job


@pytest.fixture(scope="module")
def small_uploads_api(registry_settings: Callable[..., RegistrySettings]) -> Iterator[TestClient]:
    with TestClient(create_app(registry_settings(max_upload_bytes=1000))) as client:
        yield client


def test_an_oversized_upload_is_refused_before_it_is_read(
    small_uploads_api: TestClient, auth: Auth
) -> None:
    big = as_csv(stores(100))
    declared = small_uploads_api.post("/v1/imports/stores", content=big, headers={**CSV, **auth()})
    assert declared.status_code == 413
    assert declared.headers["content-type"].startswith("application/problem+json")

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused once past the limit
        for start in range(0, len(big), 256):
            yield big[start : start + 256]

    streamed = small_uploads_api.post(
        "/v1/imports/stores", content=chunks(), headers={**CSV, **auth()}
    )
    assert streamed.status_code == 413


def test_progress_is_readable_while_a_large_file_runs(registry_api: TestClient, auth: Auth) -> None:
    response = registry_api.post(
        "/v1/imports/stores",
        params={"mode": "dry_run"},
        content=as_csv(stores(20_000)),
        headers={**CSV, **auth()},
    )
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "running" and job["total_rows"] == 20_000
    seen = []
    deadline = time.monotonic() + 60
    while job["status"] == "running" and time.monotonic() < deadline:
        job = registry_api.get(response.headers["Location"], headers=auth()).json()
        seen.append(job["progress"])
        time.sleep(0.05)
    assert job["status"] == "succeeded" and job["loaded_rows"] == 20_000
    assert seen == sorted(seen)
    other = registry_api.get(
        response.headers["Location"], headers=auth("city_bureau", "522600", subject="qdn")
    )
    assert other.status_code == 404


def test_the_template_round_trips_as_an_import(registry_api: TestClient, auth: Auth) -> None:
    response = registry_api.get("/v1/imports/stores/template.xlsx", headers=auth())
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:3] == ["平台", "平台店铺ID", "店铺名称"]
    assert sheet["A1"].font.bold and "说明" in workbook.sheetnames
    sheet.append(["快手", f"ks-{secrets.token_hex(4)}", "模板店", None, "王某", "520102"])
    out = io.BytesIO()
    workbook.save(out)
    job = upload(registry_api, auth, "stores", out.getvalue(), "dry_run", **XLSX)
    assert job["status"] == "succeeded" and job["loaded_rows"] == 1, job


def test_the_caller_lists_its_own_imports_newest_first(
    registry_api: TestClient, auth: Auth
) -> None:
    mine = auth("city_bureau", "522700", subject="qn-lister")
    ids = [upload(registry_api, auth, "stores", as_csv(stores(1)), "dry_run", **mine)["id"]
           for _ in range(3)]  # fmt: skip
    first = registry_api.get("/v1/imports", params={"limit": 2}, headers=mine).json()
    assert [job["id"] for job in first["items"]] == ids[::-1][:2]
    rest = registry_api.get(
        "/v1/imports", params={"limit": 2, "cursor": first["next_cursor"]}, headers=mine
    ).json()
    assert [job["id"] for job in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    province = registry_api.get("/v1/imports", params={"limit": 100}, headers=auth()).json()
    assert set(ids) <= {job["id"] for job in province["items"]}
