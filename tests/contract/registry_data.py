"""Real registry records for the contract run, and a rewrite that points generated cases at
them, so reads, lists, updates and closes reach the database paths (200s validated against
their schemas), not only "404 not found" and "422 unknown region".

A value is replaced only by one of the same kind that satisfies the same constraints, so a
case schemathesis generated as invalid stays invalid for the same reason.
"""

from __future__ import annotations

import random
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis

from registry.domain.credit_code import check_character

GUIZHOU_COUNTIES = ("520102", "520103", "520111", "520302", "522601")
REGION = re.compile(r"^\d{6}$")
ENTERPRISE_REFERENCES = ("enterprise_id", "owner_enterprise_id", "operator_enterprise_id")


def credit_code() -> str:
    first17 = "91520102" + "".join(secrets.choice("0123456789") for _ in range(9))
    return first17 + check_character(first17)


@dataclass
class SeededRecords:
    ids: dict[str, list[str]] = field(default_factory=dict)  # path segment -> ids
    residences: list[tuple[str, str]] = field(default_factory=list)  # (park, residence)

    def add(self, path: str, record: dict[str, Any]) -> str:
        self.ids.setdefault(path, []).append(record["id"])
        return str(record["id"])


def seed_records(base_url: str, bearer: dict[str, str]) -> SeededRecords:
    seeded = SeededRecords()
    with httpx.Client(base_url=base_url, headers=bearer, timeout=30) as client:

        def create(path: str, body: dict[str, Any]) -> str:
            response = client.post(f"/v1/{path}", json=body)
            assert response.status_code == 201, response.text
            return seeded.add(path, response.json())

        for n, county in enumerate(GUIZHOU_COUNTIES):
            enterprise = create(
                "enterprises",
                {
                    "credit_code": credit_code(),
                    "name": f"黔货电商{n}有限公司",
                    "region_code": county,
                    "kinds": ["platform"] if n % 2 else [],
                    "contact_phone": "0851-8888888",
                },
            )
            owner = {"owner_enterprise_id": enterprise}
            create(
                "stores",
                {"platform": "taobao", "platform_shop_id": f"shop-{uuid.uuid4().hex[:8]}",
                 "name": f"黔货旗舰店{n}", "region_code": county, **owner},
            )  # fmt: skip
            park = create(
                "parks",
                {"kind": "industrial_park", "name": f"电商产业园{n}", "region_code": county,
                 "operator_enterprise_id": enterprise},
            )  # fmt: skip
            create(
                "teams",
                {"enterprise_id": enterprise, "name": f"直播团队{n}", "region_code": county},
            )
            brand = create(
                "brands",
                {"enterprise_id": enterprise, "name": f"贵字号{n}", "region_code": county, "label": "贵字号"},
            )  # fmt: skip
            create(
                "products",
                {"enterprise_id": enterprise, "brand_id": brand, "name": f"刺梨汁{n}",
                 "region_code": county, "category": "饮料"},
            )  # fmt: skip
            joined = client.post(
                f"/v1/parks/{park}/residents",
                json={"enterprise_id": enterprise, "joined_on": "2025-03-01"},
            )
            assert joined.status_code == 201, joined.text
            seeded.residences.append((park, joined.json()["id"]))
    return seeded


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


class Realistic:
    """Rewrites a share of the generated values into real ones (deterministic per run)."""

    def __init__(self, seeded: SeededRecords, seed: int) -> None:
        self.seeded = seeded
        self.random = random.Random(seed)

    def _often(self, share: float = 0.6) -> bool:
        return self.random.random() < share

    def apply(self, case: schemathesis.Case) -> str | None:
        """Rewrite the case; name the known defect it would hit, if any."""
        self._path(case)
        if isinstance(case.body, dict):
            self._body(case.body)
        if case.headers and "if-match" in {name.lower() for name in case.headers}:
            if self._often(0.3):
                name = next(n for n in case.headers if n.lower() == "if-match")
                case.headers[name] = "*"
        return None

    def _path(self, case: schemathesis.Case) -> None:
        parameters = case.path_parameters or {}
        segment = case.path.split("/")[2] if case.path.count("/") >= 2 else ""
        if "record_id" in parameters and _is_uuid(parameters["record_id"]) and self._often():
            parameters["record_id"] = self.random.choice(self.seeded.ids.get(segment, ["x"]))
        if (
            "enterprise_id" in parameters
            and _is_uuid(parameters["enterprise_id"])
            and self._often()
        ):
            parameters["enterprise_id"] = self.random.choice(self.seeded.ids["enterprises"])
        if "park_id" in parameters and _is_uuid(parameters["park_id"]) and self._often():
            park, residence = self.random.choice(self.seeded.residences)
            parameters["park_id"] = park
            if "residence_id" in parameters and _is_uuid(parameters["residence_id"]):
                parameters["residence_id"] = residence

    def _body(self, body: dict[str, Any]) -> None:
        region = body.get("region_code")
        if isinstance(region, str) and REGION.match(region) and self._often(0.8):
            body["region_code"] = self.random.choice(GUIZHOU_COUNTIES)
        code = body.get("credit_code")
        if isinstance(code, str) and 1 <= len(code) <= 40 and self._often(0.7):
            body["credit_code"] = credit_code()
        for name in ENTERPRISE_REFERENCES:
            if _is_uuid(body.get(name)) and self._often():
                body[name] = self.random.choice(self.seeded.ids["enterprises"])
        if _is_uuid(body.get("brand_id")) and self._often():
            body["brand_id"] = self.random.choice(self.seeded.ids["brands"])
