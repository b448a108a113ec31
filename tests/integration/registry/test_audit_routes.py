"""Every state-changing operation of the registry's OpenAPI document writes exactly one audit
record, in the transaction of its change (the same ``xmin`` as the state it wrote)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
from fastapi.testclient import TestClient

from registry.domain.credit_code import check_character
from shared.audit import verify

Auth = Callable[..., dict[str, str]]
# The history row (written in the handler's own transaction, not a savepoint), or the job.
HISTORY = (
    "SELECT xmin::text AS tx FROM entity_changes WHERE entity_id = $1 ORDER BY id DESC LIMIT 1"
)
# A job's row is updated again as it runs, so its first xmin is gone: its file digest is checked.
JOB = "SELECT file_sha256 AS tx FROM import_jobs WHERE id = $1"
CALENDAR_YEAR = "SELECT xmin::text AS tx FROM calendar_years WHERE year = $1"
# A programme's newest revision (keyed by the programme's id, not a UUID).
PROGRAMME_REVISION = (
    "SELECT xmin::text AS tx FROM programme_revisions WHERE programme_id = $1 "
    "ORDER BY revision DESC LIMIT 1"
)


def _code() -> str:
    first17 = f"91520102{uuid.uuid4().int % 10**9:09d}"
    return first17 + check_character(first17)


def _fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(dsn)
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


class Walk:
    """Makes each operation's request from records made along the way."""

    def __init__(self, api: TestClient, auth: Auth) -> None:
        self.api, self.auth = api, auth
        self.ids: dict[str, str] = {}

    def send(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {**self.auth(), **kwargs.pop("headers", {})}
        if method == "PATCH" or path.endswith("/close"):  # both need the version read
            record = path.removesuffix("/close")
            headers["If-Match"] = self.api.get(record, headers=self.auth()).headers["ETag"]
        response = self.api.request(method, path, json=body, headers=headers, **kwargs)
        assert response.status_code in (200, 201, 202), (method, path, response.text)
        return response

    def enterprise(self) -> str:
        body = {"credit_code": _code(), "name": "审计测试企业", "region_code": "520102"}
        return str(self.send("POST", "/v1/enterprises", body).json()["id"])

    def create_body(self, path: str) -> dict[str, Any]:
        owner = self.ids.setdefault("owner", self.enterprise())
        bodies: dict[str, dict[str, Any]] = {
            "enterprises": {"credit_code": _code(), "name": "某公司", "region_code": "520102"},
            "stores": {
                "platform": "douyin", "platform_shop_id": uuid.uuid4().hex, "name": "店",
                "owner_individual": "张三", "region_code": "520102",
            },
            "parks": {"kind": "industrial_park", "name": f"园区{uuid.uuid4().hex[:6]}",
                      "region_code": "520102"},
            "teams": {"enterprise_id": owner, "name": f"团队{uuid.uuid4().hex[:6]}",
                      "region_code": "520102"},
            "brands": {"enterprise_id": owner, "name": f"品牌{uuid.uuid4().hex[:6]}",
                       "region_code": "520102"},
            "products": {"enterprise_id": owner, "name": f"产品{uuid.uuid4().hex[:6]}",
                         "region_code": "520102"},
        }  # fmt: skip
        return bodies[path]

    def record(self, path: str) -> str:
        return str(self.send("POST", f"/v1/{path}", self.create_body(path)).json()["id"])

    def request(self, method: str, template: str) -> tuple[Any, str, str | int]:
        """Send it; returns the response, a query for the xmin of a row it wrote, its key."""
        parts = template.strip("/").split("/")
        if template == "/v1/enterprises/{enterprise_id}/statistics-years/{year}":
            ident = self.enterprise()
            path = f"/v1/enterprises/{ident}/statistics-years/2025"
            response = self.send(method, path, {"year": 2025, "in_list": True})
            return response, HISTORY, ident
        if template == "/v1/parks/{park_id}/residents":
            park = self.ids["park"] = self.record("parks")
            body = {"enterprise_id": self.enterprise(), "joined_on": "2025-01-01"}
            response = self.send(method, f"/v1/parks/{park}/residents", body)
            self.ids["residence"] = response.json()["id"]
            return response, HISTORY, park
        if template == "/v1/parks/{park_id}/residents/{residence_id}/leave":
            park, residence = self.ids["park"], self.ids["residence"]
            path = f"/v1/parks/{park}/residents/{residence}/leave"
            return self.send(method, path, {"left_on": "2025-06-30"}), HISTORY, park
        if template == "/v1/calendars/{year}":
            body = {"holidays": ["2088-01-01"], "workdays": ["2088-01-03"]}
            return self.send(method, "/v1/calendars/2088", body), CALENDAR_YEAR, 2088
        if template == "/v1/programmes/{programme_id}":
            path = "/v1/programmes/guizhou-shibaiqianwan-2023"
            read = self.api.get(path, headers=self.auth())
            body = {"definition": read.json(), "reason": "年度申报通知"}
            response = self.send(method, path, body, headers={"If-Match": read.headers["ETag"]})
            return response, PROGRAMME_REVISION, "guizhou-shibaiqianwan-2023"
        if template == "/v1/imports/{kind}":
            content = f"平台,平台店铺ID,店铺名称,个人店主,所属地区代码\ndouyin,{uuid.uuid4().hex},店,李四,520102\n"
            response = self.send(
                method, "/v1/imports/stores?mode=dry_run", content=content.encode(),
                headers={"Content-Type": "text/csv"},
            )  # fmt: skip
            return response, JOB, response.json()["id"]
        kind = parts[1]
        table = HISTORY
        if template == f"/v1/{kind}":
            response = self.send(method, template, self.create_body(kind))
            return response, table, response.json()["id"]
        ident = self.record(kind)
        if template.endswith("/close"):
            body = {"reason": "停止经营"}
            return self.send(method, f"/v1/{kind}/{ident}/close", body), table, ident
        change = {"name": f"改名{uuid.uuid4().hex[:6]}"}
        return self.send(method, f"/v1/{kind}/{ident}", change), table, ident


def test_every_state_changing_operation_writes_one_audit_row_in_its_transaction(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    walk = Walk(registry_api, auth)
    operations = [
        (method.upper(), path)
        for path, methods in registry_api.app.openapi()["paths"].items()
        for method in methods
        if method in ("post", "put", "patch", "delete")
    ]
    # The residents' "leave" needs the join first: the document lists it after.
    assert len(operations) >= 22
    for method, template in operations:
        response, table, key = walk.request(method, template)
        request_id = response.headers["X-Request-ID"]
        rows = _fetch(
            registry_db,
            "SELECT xmin::text AS tx, * FROM audit_log WHERE request_id = $1 AND kind = 'change'",
            request_id,
        )
        assert len(rows) == 1, (method, template, [dict(r) for r in rows])
        [state] = _fetch(
            registry_db,
            table,
            key if isinstance(key, int) or table is PROGRAMME_REVISION else uuid.UUID(key),
        )
        written = json.loads(rows[0]["details"])["file_sha256"] if table is JOB else rows[0]["tx"]
        assert written == state["tx"], (method, template, "not in the change's transaction")
        assert rows[0]["actor_subject"] == "tester" and rows[0]["actor_roles"] == ["province_admin"]
        assert rows[0]["client_ip"] == "testclient" and rows[0]["user_agent"] == "testclient"

    async def check() -> None:
        connection = await asyncpg.connect(registry_db)
        try:
            assert (await verify(connection)).ok
        finally:
            await connection.close()

    asyncio.run(check())


def test_a_refused_change_writes_no_audit_row(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    walk = Walk(registry_api, auth)
    body = walk.create_body("enterprises")
    walk.send("POST", "/v1/enterprises", body)
    again = registry_api.post("/v1/enterprises", json=body, headers=auth())
    assert again.status_code == 409
    rows = _fetch(
        registry_db, "SELECT 1 FROM audit_log WHERE request_id = $1", again.headers["X-Request-ID"]
    )
    assert rows == []


def test_close_records_its_reason_and_override_its_written_reason(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    walk = Walk(registry_api, auth)
    store = walk.record("stores")
    walk.send("POST", f"/v1/stores/{store}/close", {"reason": "停止经营"})
    [closed] = _fetch(
        registry_db, "SELECT * FROM audit_log WHERE action = 'store.closed' AND resource_id = $1",
        store,
    )  # fmt: skip
    assert closed["reason"] == "停止经营" and closed["before"] == '{"status": "active"}'
    legacy = "91520102MA6DLEGAC" + "0"  # fails the GB 32100 check
    if check_character(legacy[:17]) == "0":
        legacy = legacy[:17] + "1"
    body = {
        "credit_code": legacy, "name": "老企业", "region_code": "520102",
        "legacy_code_reason": "2015年前登记的旧代码",
    }  # fmt: skip
    created = walk.send("POST", "/v1/enterprises", body).json()
    [row] = _fetch(registry_db, "SELECT * FROM audit_log WHERE resource_id = $1", created["id"])
    assert row["action"] == "enterprise.registered"
    assert row["reason"] == "2015年前登记的旧代码"
    assert '"check_failure"' in row["details"]
    [clock] = _fetch(registry_db, "SELECT now() AS at")  # the database's clock, not the test's
    assert clock["at"] - row["recorded_at"] < dt.timedelta(minutes=5)


def test_the_importer_records_a_job_outcome_with_its_counts(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    from registry.handlers.import_audit import record_import_outcome
    from shared.db.pool import connect

    response, _, job_id = Walk(registry_api, auth).request("POST", "/v1/imports/{kind}")

    async def finish() -> None:
        connection = await connect(registry_db)
        try:
            job = await connection.fetchrow("SELECT * FROM import_jobs WHERE id = $1", job_id)
            async with connection.transaction():
                await record_import_outcome(
                    connection, job, status="succeeded", committed=True, processed_rows=1,
                    loaded_rows=1, skipped_rows=0, error_rows=0,
                )  # fmt: skip
        finally:
            await connection.close()

    asyncio.run(finish())
    rows = _fetch(
        registry_db,
        "SELECT action, actor_subject, details FROM audit_log WHERE resource_id = $1 ORDER BY seq",
        job_id,
    )
    assert [row["action"] for row in rows] == ["import.submitted", "import.finished"]
    assert rows[1]["actor_subject"] == "system:registry-importer"
    details = json.loads(rows[1]["details"])
    assert (details["submitted_by"], details["loaded_rows"]) == ("tester", 1)
    assert details["file_sha256"] == response.json()["file_sha256"]
