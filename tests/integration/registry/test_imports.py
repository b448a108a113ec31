"""Bulk imports through the registry's REST API, on real PostgreSQL, run by an importer (the
``importer`` role's loop, in a thread of the test process)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import secrets
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cloudevents.core.bindings import kafka as cloudevents_kafka
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from registry.api.app import create_app
from registry.config import RegistrySettings
from registry.data.regions import load_country_regions
from registry.domain.credit_code import check_character
from registry.domain.imports.caller import row_context
from registry.domain.regions import RegionTree
from registry.handlers.import_jobs import end_job, run_job
from shared.auth import Principal, Role
from shared.db.pool import create_pool
from shared.events import default_catalog
from shared.events.envelope import EventEnvelope
from shared.events.registry import StoreRegistered
from shared.messaging.record_batches import kafka_headers
from tests.support.languages import wholly_chinese, wholly_english
from tests.support.polling import until, wait_for

Auth = Callable[..., dict[str, str]]
CSV = {"Content-Type": "text/csv"}
XLSX = {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
WAIT = {"Prefer": "wait=30"}
STORE_HEADER = ["平台", "平台店铺ID", "店铺名称", "个人店主", "所属地区代码", "开店日期"]


pytestmark = pytest.mark.usefixtures("running_importer")


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
    assert response.headers["Location"] == f"/v1/import-jobs/{job['id']}"
    return job


def stores_tagged(dsn: str, rows: list[list[str]]) -> int:
    prefix = rows[1][1].rsplit("-", 1)[0] + "-%"
    return count(dsn, "SELECT count(*) FROM stores WHERE platform_shop_id LIKE $1", prefix)


def assert_events_match_their_models(dsn: str, shop_ids: list[str]) -> None:
    """Imports build their events in bulk and copy them in: each must parse as the published
    model, and read as the relay sends it (its headers, the row as value) with the CloudEvents
    SDK."""

    async def outbox_rows() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(dsn)
        try:
            return await connection.fetch(
                "SELECT o.payload, o.message_key, o.traceparent, o.tracestate FROM outbox o "
                "JOIN stores s ON s.id::text = o.message_key WHERE s.platform_shop_id = ANY($1)",
                shop_ids,
            )
        finally:
            await connection.close()

    catalog = default_catalog()
    rows = asyncio.run(outbox_rows())
    assert rows
    for row in rows:
        envelope = EventEnvelope.model_validate_json(row["payload"])
        event = catalog.parse(envelope)
        assert isinstance(event, StoreRegistered)
        assert envelope.subject == event.store_id and event.platform == "douyin"
        assert event.opened_on is not None and event.owner_individual == "吴某"
        assert envelope.source.endswith("/registry")
        # No null attributes: an absent trace context is left out.
        assert None not in json.loads(row["payload"]).values()
        message = cloudevents_kafka.KafkaMessage(
            headers=dict(kafka_headers(row["traceparent"], row["tracestate"])),
            key=row["message_key"].encode(),
            value=row["payload"],
        )
        read = cloudevents_kafka.from_kafka_event(message)
        assert read.get_attributes()["id"] == envelope.id
        assert read.get_attributes().get("traceparent") == row["traceparent"]
        assert read.get_data() == envelope.data


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
    errors = registry_api.get(f"/v1/import-jobs/{job['id']}/errors.csv", headers=auth())
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
    assert sorted(r["left_on"] or "" for r in listed.json()["items"]) == ["", "2025-06-30"]


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
    assert job["status"] in ("queued", "running")
    seen, totals = [], set()

    def read_job() -> dict[str, Any]:
        job = registry_api.get(response.headers["Location"], headers=auth()).json()
        seen.append(job["progress"])
        totals.add(job["total_rows"])
        return job

    job = wait_for(read_job, lambda job: job["status"] not in ("queued", "running"), seconds=60)
    assert job["status"] == "succeeded" and job["loaded_rows"] == 20_000
    assert 20_000 in totals and 0 < len([p for p in seen if 0 < p < 1])
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
    first = registry_api.get("/v1/import-jobs", params={"limit": 2}, headers=mine).json()
    assert [job["id"] for job in first["items"]] == ids[::-1][:2]
    rest = registry_api.get(
        "/v1/import-jobs", params={"limit": 2, "cursor": first["next_cursor"]}, headers=mine
    ).json()
    assert [job["id"] for job in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    province = registry_api.get("/v1/import-jobs", params={"limit": 100}, headers=auth()).json()
    assert set(ids) <= {job["id"] for job in province["items"]}


def _zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def _without(xlsx: bytes, member: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    return _zip_of({n: source.read(n) for n in source.namelist() if n != member})


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda xlsx: xlsx[: len(xlsx) // 2], "damaged or cut short"),
        (lambda xlsx: _zip_of({"readme.txt": b"hello"}), "not an XLSX workbook"),
        (lambda xlsx: _without(xlsx, "xl/worksheets/sheet1.xml"), "no worksheet"),
    ],
    ids=["cut-short", "zip-of-text", "no-sheet"],
)
def test_a_malformed_xlsx_fails_its_job_saying_what_is_wrong(
    registry_api: TestClient, auth: Auth, damage: Callable[[bytes], bytes], says: str
) -> None:
    body = damage(as_xlsx(stores(2)))
    job = upload(registry_api, auth, "stores", body, "dry_run", **XLSX)
    assert job["status"] == "failed", job
    assert job["failure"].startswith("unreadable file: ") and says in job["failure"]


def test_an_encrypted_workbook_or_a_csv_sent_as_xlsx_is_refused_at_once(
    registry_api: TestClient, auth: Auth
) -> None:
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)  # OLE2: how Excel encrypts
    for body in (encrypted, as_csv(stores(1))):
        response = registry_api.post("/v1/imports/stores", content=body, headers={**XLSX, **auth()})
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    chinese = registry_api.post("/v1/imports/stores", content=encrypted, headers={**XLSX, **auth()})
    assert "加密" in chinese.json()["detail"] and wholly_chinese(chinese.json()["detail"])
    english = registry_api.post(
        "/v1/imports/stores",
        content=encrypted,
        headers={**XLSX, **auth(), "Accept-Language": "en"},
    )
    assert "encrypted" in english.json()["detail"] and wholly_english(english.json()["detail"])


def test_a_failed_job_stays_failed_and_a_lost_claim_commits_nothing(
    registry_db: str, tmp_path: Path
) -> None:
    """Both guards in SQL: every update names the claim (attempt) and a running status, and a
    trigger refuses any change of an ended job's status."""
    rows = stores(3)
    path = tmp_path / "stores.csv"
    path.write_bytes(as_csv(rows))
    province = Principal(subject="guard", roles=frozenset({Role.province_admin}))
    context = row_context(province, RegionTree(load_country_regions()))

    shop_ids = [row[1] for row in rows[1:]]
    stored = "SELECT count(*) FROM stores WHERE platform_shop_id = ANY($1)"
    status = "SELECT status FROM import_jobs WHERE id = $1"

    async def scenario() -> None:
        pool = await create_pool(registry_db, min_size=1, max_size=3)
        try:
            # Running, with a fresh heartbeat: the test's importer leaves it alone.
            insert = (
                "INSERT INTO import_jobs (id, kind, file_sha256, mode, status, created_by, "
                "attempt) VALUES (gen_random_uuid(), 'stores', $1, 'good_rows', 'running', "
                "'guard', 1) RETURNING *"
            )
            job = await pool.fetchrow(insert, secrets.token_hex(32))
            # Another importer claimed the job meanwhile (its heartbeat had lapsed).
            await pool.execute("UPDATE import_jobs SET attempt = 2 WHERE id = $1", job["id"])
            lost = await run_job(pool, job, path=path, context=context, topic_prefix="t.")
            assert lost is None
            assert await pool.fetchval(stored, shop_ids) == 0

            failed = await end_job(pool, job, "failed", failure="guard test")
            assert failed is None  # still the lost claim: nothing changes
            current = await pool.fetchrow("SELECT * FROM import_jobs WHERE id = $1", job["id"])
            failed = await end_job(pool, current, "failed", failure="guard test")
            assert failed is not None and failed["status"] == "failed"
            assert await end_job(pool, current, "succeeded", committed=True) is None
            late = await run_job(pool, current, path=path, context=context, topic_prefix="t.")
            assert late is None  # a run that finishes after the job failed stores nothing
            assert await pool.fetchval(stored, shop_ids) == 0
            with pytest.raises(asyncpg.CheckViolationError, match="cannot become succeeded"):
                await pool.execute(
                    "UPDATE import_jobs SET status = 'succeeded' WHERE id = $1", job["id"]
                )
            assert await pool.fetchval(status, job["id"]) == "failed"
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_a_claim_lost_between_batches_stops_the_run_a_batch_later_and_stores_nothing(
    registry_db: str, tmp_path: Path
) -> None:
    """Each batch's heartbeat runs beside the next batch's load, so a claim lost meanwhile is
    found at most one batch later; the run then stops and its rows roll back. Another importer
    takes the job from its own session once the run's first heartbeat has committed."""
    rows = stores(2000)
    path = tmp_path / "stores.csv"
    path.write_bytes(as_csv(rows))
    province = Principal(subject="guard", roles=frozenset({Role.province_admin}))
    context = row_context(province, RegionTree(load_country_regions()))
    shop_ids = [row[1] for row in rows[1:]]

    async def scenario() -> None:
        pool = await create_pool(registry_db, min_size=1, max_size=4)
        try:
            insert = (
                "INSERT INTO import_jobs (id, kind, file_sha256, mode, status, created_by, "
                "attempt) VALUES (gen_random_uuid(), 'stores', $1, 'good_rows', 'running', "
                "'guard', 1) RETURNING *"
            )
            job = await pool.fetchrow(insert, secrets.token_hex(32))
            run = asyncio.create_task(
                run_job(pool, job, path=path, context=context, topic_prefix="t.", batch_rows=2)
            )
            taken: list[int] = []

            async def taken_over() -> bool:
                processed = await pool.fetchval(
                    "UPDATE import_jobs SET attempt = 2 WHERE id = $1 AND processed_rows > 0 "
                    "RETURNING processed_rows",
                    job["id"],
                )
                taken.extend([] if processed is None else [processed])
                return bool(taken) or run.done()

            await until(taken_over, seconds=60, interval=0.005, message="no heartbeat committed")
            lost = await run
            assert taken, "the run ended before another importer could take the job"
            assert lost is None
            stored = "SELECT count(*) FROM stores WHERE platform_shop_id = ANY($1)"
            assert await pool.fetchval(stored, shop_ids) == 0
            claimed = await pool.fetchrow("SELECT * FROM import_jobs WHERE id = $1", job["id"])
            # At most the heartbeat in flight when the job was taken commits after it.
            assert claimed["status"] == "running" and claimed["processed_rows"] <= taken[0] + 2
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_an_exported_sheet_imports_again_as_it_is(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    tag = secrets.token_hex(3)
    codes = [credit_code() for _ in range(2)]
    owners = []
    for i, code in enumerate(codes):
        response = registry_api.post(
            "/v1/enterprises",
            json={"credit_code": code, "name": f"回环{tag}企业{i}", "region_code": "520102",
                  "kinds": ["platform", "service"], "contact_phone": "13800000000"},
            headers=auth(),
        )  # fmt: skip
        assert response.status_code == 201, response.text
        owners.append(response.json()["id"])
    for i, owner in enumerate([owners[0], None, owners[1]]):
        store = {"platform": "pinduoduo", "platform_shop_id": f"pdd-{tag}-{i}",
                 "name": f"回环{tag}店{i}", "region_code": "520102", "opened_on": "2025-03-01"}  # fmt: skip
        store |= {"owner_enterprise_id": owner} if owner else {"owner_individual": "张某"}
        response = registry_api.post("/v1/stores", json=store, headers=auth())
        assert response.status_code == 201, response.text
    for kind, count_ in (("enterprises", 2), ("stores", 3)):
        for file_format, content_type in (("csv", CSV), ("xlsx", XLSX)):
            exported = registry_api.get(
                f"/v1/exports/{kind}.{file_format}", params={"q": f"回环{tag}"}, headers=auth()
            )
            assert exported.status_code == 200
            job = upload(registry_api, auth, kind, exported.content, "dry_run", **content_type)
            assert job["status"] == "succeeded", job
            # Every row checks out (owners found by credit code) and is already there.
            assert (job["error_rows"], job["skipped_rows"], job["loaded_rows"]) == (
                0, count_, 0,
            ), job  # fmt: skip


def test_a_job_leaves_one_audit_record_when_submitted_and_one_when_it_ends(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    """One audit record per job, not per row (docs/audit.md): the submission in the API's
    transaction, the outcome with its counts in the importer's."""
    job = upload(registry_api, auth, "stores", as_csv(stores(3)), "good_rows")
    assert job["status"] == "succeeded"
    actions = count(
        registry_db,
        "SELECT count(*) FROM audit_log WHERE resource_id = $1 AND action = ANY($2::text[])",
        job["id"],
        ["import.submitted", "import.finished"],
    )
    assert actions == 2
    loaded = count(
        registry_db,
        "SELECT (details->>'loaded_rows')::int FROM audit_log"
        " WHERE resource_id = $1 AND action = 'import.finished'",
        job["id"],
    )
    assert loaded == 3
