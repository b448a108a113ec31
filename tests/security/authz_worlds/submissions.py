"""The submissions world, on a fixed clock (1 December 2025, 10:00 in China): the 2025 annual
report window of Guizhou with a reporter in each of the three regions (a draft, a submitted
version, an attachment and an extension each), and a county's monthly statistics for
November 2025 in each region (Guizhou's programme for the two Guizhou counties, Qinghai's for
Xining's district)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from typing import Any

import asyncpg
from fastapi.testclient import TestClient

from shared.auth.roles import Role
from tests.security.authz_matrix import REGION, RELATIONS, Call, Operation, Record, Tokens
from tests.security.authz_matrix import standard_record as region_record
from tests.security.authz_worlds.base import World

GUIZHOU, QINGHAI = "guizhou-shibaiqianwan-2023", "qinghai-2024-2026"
PROGRAMME = {"own": GUIZHOU, "same_province": GUIZHOU, "other_province": QINGHAI}
WINDOW = f"{GUIZHOU}.annual-report.2025"
PERIOD = "2025-11"
NOW = dt.datetime(2025, 12, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in China: the window is open
FIGURES = {
    "online_retail_sales": "1200000.50",
    "physical_goods_online_retail_sales": "800000",
    "workers": 35,
}
SEED_WINDOW = """
INSERT INTO windows (id, programme_id, window_slug, year, status, opens_at, due_at, grace_until,
                     locks_at, opened_at, opened_by)
VALUES ($1, $2, 'annual-report', 2025, 'open', '2025-11-01T00:00+08', '2025-12-11T00:00+08',
        '2025-12-18T00:00+08', '2026-01-01T00:00+08', '2025-11-01T00:00+08', 'seed')
ON CONFLICT (id) DO NOTHING
"""
SEED_REPORTER = """
INSERT INTO roster_entries (window_id, designation_id, entity_type, entity_id, category,
                            region_code, city_code, county_code, due_at, expected_from)
VALUES ($1, $2, 'enterprise', $3, 'enterprise', $4, $5, $4, '2025-12-11T00:00+08',
        '2025-11-01T00:00+08')
"""
BODY_TARGETS = ("/reopenings", "/extensions")  # the reporter a body names is the record


def bearer(tokens: Tokens, role: str, region: str | None, **claims: Any) -> dict[str, str]:
    sub = f"seeder-{role}-{region}"
    return tokens.bearer({"sub": sub, "roles": [role], "region_code": region, **claims})


class SubmissionsWorld(World):
    name = "submissions"

    def prepare_app(self, app: Any, dsn: str) -> None:
        self.dsn = dsn
        app.state.clock = lambda: NOW

    def seed(self, client: TestClient, tokens: Tokens) -> None:
        tag = secrets.token_hex(4)
        self.designations = {relation: f"D-{relation}-{tag}" for relation in RELATIONS}
        self.entities = {relation: f"E-{relation}-{tag}" for relation in RELATIONS}
        self.operator_enterprises = [self.entities["own"]]
        self.by_value: dict[str, Record] = {}
        self.attachments: dict[str, str] = {}
        self.extensions: dict[str, str] = {}
        for relation in RELATIONS:
            record = region_record(
                "report", relation, self.designations[relation], self.entities[relation]
            )
            self.records.append(record)
            self.by_value[self.designations[relation]] = record
        asyncio.run(self._seed_rows())
        base = f"/v1/windows/{WINDOW}/reports"
        for relation in RELATIONS:
            region, designation = REGION[relation], self.designations[relation]
            record = self.reporter(relation)
            reporter = bearer(tokens, "operator", None, enterprise_ids=[self.entities[relation]])
            draft = client.put(f"{base}/{designation}/draft", json={"figures": FIGURES},
                               headers=reporter)  # fmt: skip
            assert draft.status_code == 200, draft.text
            pdf = b"%PDF-1.7\n" + f"矩阵 {relation} {tag}".encode() * 20
            attached = client.post(
                f"{base}/{designation}/attachments",
                params={"filename": "矩阵.pdf"},
                content=pdf,
                headers={**reporter, "Content-Type": "application/pdf"},
            )
            assert attached.status_code == 201, attached.text
            version = client.post(f"{base}/{designation}/versions", json={"figures": FIGURES},
                                  headers=reporter)  # fmt: skip
            assert version.status_code == 201, version.text
            self.attachments[relation] = hashlib.sha256(pdf).hexdigest()
            city = bearer(tokens, "city_bureau", region[:4] + "00")
            extension = client.post(
                f"/v1/windows/{WINDOW}/extensions",
                json={"designation_id": designation, "reason": f"矩阵延期 {tag}"},
                headers=city,
            )
            assert extension.status_code == 201, extension.text
            self.extensions[relation] = str(extension.json()["id"])
            for value in (self.attachments[relation], self.extensions[relation]):
                self.by_value[value] = record
            county = bearer(tokens, "county_bureau", region)
            figures = client.post(
                f"/v1/statistics/reports/{PROGRAMME[relation]}/{PERIOD}/{region}/versions",
                json={"reporter_kind": "county", "region_code": region,
                      "figures": {"online_retail_sales": "100"}},
                headers=county,
            )  # fmt: skip
            assert figures.status_code == 201, figures.text

    async def _seed_rows(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute(SEED_WINDOW, WINDOW, GUIZHOU)
            for relation in RELATIONS:
                region = REGION[relation]
                await connection.execute(
                    SEED_REPORTER, WINDOW, self.designations[relation],
                    self.entities[relation], region, region[:4] + "00",
                )  # fmt: skip
        finally:
            await connection.close()

    def reporter(self, relation: str) -> Record:
        """A reporter's report: read over its region and by its own operator."""
        return self.by_value[self.designations[relation]]

    # Requests ----------------------------------------------------------------------------

    def path_value(
        self, operation: Operation, name: str, role: Role, relation: str
    ) -> tuple[str, Record | None]:
        if name == "reporter_id":
            return REGION[relation], self.statistics(relation)
        value = {
            "window_id": WINDOW,
            "designation_id": self.designations[relation],
            "number": "1",
            "sha256": self.attachments[relation],
            "extension_id": self.extensions[relation],
            "programme_id": PROGRAMME[relation],
            "period": PERIOD,
        }.get(name)
        if value is None:
            return super().path_value(operation, name, role, relation)
        return value, self.by_value.get(value)

    def statistics(self, relation: str) -> Record:
        """A county's monthly figures: read over its region, the county's own bureau reports."""
        return region_record("statistics", relation)

    def ghost_value(self, operation: Operation, name: str) -> str | None:
        return {
            "designation_id": "D-ghost",
            "sha256": "0" * 64,
            "reporter_id": "529999",  # no such county
        }.get(name) or super().ghost_value(operation, name)

    def ghost(self, operation: Operation, role: Role, relation: str) -> Call | None:
        """As the base's, and a reporter named in the body is one that does not exist."""
        call = super().ghost(operation, role, relation)
        if call is not None and isinstance(call.json_body, dict):
            if "designation_id" in call.json_body:
                call.json_body["designation_id"] = "D-ghost"
            if "reporter_id" in call.path and "region_code" in call.json_body:
                call.json_body["region_code"] = call.path["reporter_id"]
        return call

    def query_value(self, operation: Operation, name: str, role: Role, relation: str) -> Any:
        if name in ("from", "to"):  # the diff's version numbers (the audit's are times)
            return 1 if operation.path.endswith("/diff") else None
        return {
            "programme_id": PROGRAMME[relation],
            "period": PERIOD,
            "indicator": "online_retail_sales",
            "region": REGION[relation],
            "filename": "矩阵.pdf",
        }.get(name)

    def body(self, operation: Operation, role: Role, relation: str) -> Any:
        path, designation = operation.path, self.designations[relation]
        region = REGION[relation]
        if operation.key == "POST /v1/windows":
            return {"programme_id": PROGRAMME[relation], "window": "annual-report", "year": 2024}
        if path.endswith("/reopenings"):
            return {"designation_id": designation, "reason": "矩阵重开",
                    "ends_at": "2025-12-20T00:00:00+08:00"}  # fmt: skip
        if path.endswith("/versions") and "/statistics/" in path:
            return {"reporter_kind": "county", "region_code": region,
                    "figures": {"online_retail_sales": "120"}}  # fmt: skip
        if path.endswith(("/versions", "/draft")):
            return {"figures": FIGURES}
        if path.endswith("/city-review"):
            return {"decision": "recommend"}
        if path.endswith("/province-review"):
            return {"decision": "accept"}
        if path.endswith("/extensions"):
            return {"designation_id": designation, "reason": "矩阵延期"}
        if path.endswith("/grant"):
            return {"new_due_at": "2025-12-15T00:00:00+08:00"}
        if path.endswith("/refuse"):
            return {"reason": "不同意"}
        if path.startswith("/v1/statistics/reporters/") and operation.method == "POST":
            return {"reporter_id": region, "reporter_kind": "county", "region_code": region}
        return None

    def fill_body(self, operation: Operation, call: Call, role: Role, relation: str) -> None:
        if operation.path.endswith("/attachments") and operation.method == "POST":
            call.content = b"%PDF-1.7\n" + f"矩阵 {role} {relation}".encode()
            call.headers["Content-Type"] = "application/pdf"
            return
        super().fill_body(operation, call, role, relation)
        if operation.method == "POST" and operation.path.endswith(BODY_TARGETS):
            call.target = self.reporter(relation)
        if operation.key == "POST /v1/windows" and relation == "other_province":
            call.refused_for = frozenset(Role)  # Guizhou's callers never open Qinghai's
