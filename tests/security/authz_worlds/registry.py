"""The registry's world: in each of the three regions an enterprise with a store, a park (with
the enterprise resident), a team, a brand and a product, a statistics-list year, and an import
job of that region's county bureau; all made through the registry's own API."""

from __future__ import annotations

import csv
import io
import secrets
from typing import Any

from fastapi.testclient import TestClient

from shared.auth.roles import Role
from tests.security.authz_matrix import (
    REGION,
    RELATIONS,
    Operation,
    Record,
    Tokens,
    standard_record,
)
from tests.security.authz_worlds.base import World

RECORD_TYPES = ("enterprises", "stores", "parks", "teams", "brands", "products")
JOB_READERS = {  # an import job: its creator's, and the administration's over its region
    "own": frozenset({Role.county_bureau, Role.city_bureau, Role.province_admin}),
    "same_province": frozenset({Role.province_admin}),
    "other_province": frozenset(),
}
EXPORTS = {"own": "enterprises.csv", "same_province": "stores.csv", "other_province": "parks.csv"}


def credit_code() -> str:
    from registry.domain.credit_code import check_character

    first17 = "91520102" + "".join(secrets.choice("0123456789") for _ in range(9))
    return first17 + check_character(first17)


def store_csv(region: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["平台", "平台店铺ID", "店铺名称", "个人店主", "所属地区代码", "开店日期"])
    writer.writerow(
        ["抖音", f"mx-{secrets.token_hex(5)}", "矩阵小店", "吴某", region, "2025-05-01"]
    )
    return out.getvalue().encode("utf-8-sig")


class RegistryWorld(World):
    name = "registry"

    def seed(self, client: TestClient, tokens: Tokens) -> None:
        self.ids: dict[str, dict[str, str]] = {kind: {} for kind in RECORD_TYPES}
        self.residences: dict[str, str] = {}
        self.jobs: dict[str, str] = {}
        self.by_id: dict[str, Record] = {}
        for relation in RELATIONS:
            region = REGION[relation]
            province = region[:2] + "0000"
            seeder = tokens.bearer(
                {"sub": f"seeder-{province}", "roles": ["province_admin"], "region_code": province}
            )

            def create(kind: str, body: dict[str, Any], *markers: str) -> str:
                return self.create(client, seeder, relation, kind, body, *markers)  # noqa: B023

            code, shop = credit_code(), f"mx-{secrets.token_hex(5)}"
            owner = create(
                "enterprises",
                {"credit_code": code, "name": "矩阵电商有限公司", "region_code": region,
                 "contact_phone": "13800138000"},
                code,
            )  # fmt: skip
            for kind in RECORD_TYPES[1:]:  # products last: they name their brand
                body = self._bodies(relation, owner, shop)[kind]
                create(kind, body, *([shop] if kind == "stores" else []))
            joined = client.post(
                f"/v1/parks/{self.ids['parks'][relation]}/residents",
                json={"enterprise_id": owner, "joined_on": "2025-03-01"},
                headers=seeder,
            )
            assert joined.status_code == 201, joined.text
            self.residences[relation] = str(joined.json()["id"])
            self.add(standard_record("residences", relation, self.residences[relation]))
            year = client.put(
                f"/v1/enterprises/{owner}/statistics-years/2025",
                json={"year": 2025, "in_list": True},
                headers=seeder,
            )
            assert year.status_code == 200, year.text
            county = tokens.bearer(
                {"sub": f"seeder-{region}", "roles": ["county_bureau"], "region_code": region}
            )
            job = client.post(
                "/v1/imports/stores",
                params={"mode": "dry_run"},
                content=store_csv(region),
                headers={**county, "Content-Type": "text/csv"},
            )
            assert job.status_code in (200, 202), job.text
            self.jobs[relation] = str(job.json()["id"])
            readers = JOB_READERS[relation]
            self.add(Record("import-jobs", relation, (self.jobs[relation],), readers, frozenset()))
        self.operator_enterprises = [self.ids["enterprises"]["own"]]

    def create(
        self, client: TestClient, seeder: dict[str, str], relation: str, kind: str,
        body: dict[str, Any], *markers: str,
    ) -> str:  # fmt: skip
        response = client.post(f"/v1/{kind}", json=body, headers=seeder)
        assert response.status_code == 201, response.text
        record_id = str(response.json()["id"])
        self.ids[kind][relation] = record_id
        self.add(standard_record(kind, relation, record_id, *markers))
        return record_id

    def add(self, record: Record) -> None:
        self.records.append(record)
        self.by_id[record.markers[0]] = record

    def _bodies(self, relation: str, owner: str, shop: str) -> dict[str, dict[str, Any]]:
        region = REGION[relation]
        bodies: dict[str, dict[str, Any]] = {
            "stores": {"platform": "taobao", "platform_shop_id": shop, "name": "矩阵旗舰店",
                       "region_code": region, "owner_enterprise_id": owner},
            "parks": {"kind": "industrial_park", "name": "矩阵电商产业园", "region_code": region,
                      "operator_enterprise_id": owner},
            "teams": {"enterprise_id": owner, "name": "矩阵直播团队", "region_code": region},
            "brands": {"enterprise_id": owner, "name": "矩阵贵字号", "region_code": region,
                       "label": "贵字号"},
        }  # fmt: skip
        brand = self.ids["brands"].get(relation)
        if brand is not None:
            bodies["products"] = {"enterprise_id": owner, "brand_id": brand, "name": "矩阵刺梨汁",
                                  "region_code": region, "category": "饮料"}  # fmt: skip
        return bodies

    # Requests ----------------------------------------------------------------------------

    def path_value(
        self, operation: Operation, name: str, role: Role, relation: str
    ) -> tuple[str, Record | None]:
        segment = operation.path.split("/")[2]
        value = {
            "record_id": self.ids.get(segment, {}).get(relation),
            "enterprise_id": self.ids["enterprises"][relation],
            "park_id": self.ids["parks"][relation],
            "residence_id": self.residences[relation],
            "job_id": self.jobs[relation],
            "year": "2025",
            "kind": "stores",
            "file_name": EXPORTS[relation],
            "programme_id": "qinghai-2024-2026"
            if relation == "other_province"
            else "guizhou-shibaiqianwan-2023",
        }.get(name)
        if value is None:
            return super().path_value(operation, name, role, relation)
        return value, self.by_id.get(value)

    def body(self, operation: Operation, role: Role, relation: str) -> Any:
        path, region = operation.path, REGION[relation]
        owner = self.ids["enterprises"][relation]
        if operation.method == "POST" and path.count("/") == 2:  # a create: POST /v1/{kind}
            kind = path.split("/")[2]
            if kind == "enterprises":
                return {"credit_code": credit_code(), "name": "矩阵新企业", "region_code": region}
            return self._bodies(relation, owner, f"mx-{secrets.token_hex(5)}")[kind]
        if path.endswith("/close"):
            return {"closed_on": "2025-06-30", "reason": "矩阵测试"}
        if operation.method == "PATCH":
            return {"name": f"矩阵改名{role}"}
        if path.endswith("/residents"):
            return {"enterprise_id": owner, "joined_on": "2025-04-01"}
        if path.endswith("/leave"):
            return {"left_on": "2025-06-30"}
        if "/statistics-years/" in path:
            return {"year": 2025, "in_list": False}
        return None

    def fill_body(self, operation: Operation, call: Any, role: Role, relation: str) -> None:
        super().fill_body(operation, call, role, relation)
        if operation.path.startswith("/v1/imports/") and operation.method == "POST":
            call.content, call.json_body = store_csv(REGION[relation]), None
            call.headers["Content-Type"] = "text/csv"
            call.query["mode"] = "dry_run"
        elif operation.method == "POST" and operation.path.count("/") == 2:
            call.refused_for = frozenset(
                role for role in Role if role not in standard_record("", relation).writers
            )
