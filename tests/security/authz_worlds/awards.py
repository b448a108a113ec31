"""The awards world, on a fixed clock (1 April 2025, inside Guizhou's application round): in
each region an enterprise of the registry's projection, its application, its designation, an
expert of the province's pool and a proposed reward; a reward budget of Guizhou's programme
and of Qinghai's. Rows the API cannot make without the workflows are written as the workflows
would leave them; the experts and budgets through the API, as each province's administrator.

Awards' own rules are narrower than a region's: the province alone reads and changes its
experts, rewards and budgets (``province_of``); the province and the city bureau read
standings over their region; the designation list is published (公示) to every caller."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import uuid
from typing import Any

import asyncpg
from fastapi.testclient import TestClient

from shared.auth.roles import Role
from tests.security.authz_matrix import REGION, RELATIONS, Call, Operation, Record, Tokens
from tests.security.authz_matrix import standard_record as region_record
from tests.security.authz_worlds.base import World

GUIZHOU, QINGHAI = "guizhou-shibaiqianwan-2023", "qinghai-2024-2026"
PROGRAMME = {"own": GUIZHOU, "same_province": GUIZHOU, "other_province": QINGHAI}
NOW = dt.datetime(2025, 4, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in China
PROVINCE_ONLY = {  # who may read (and change) a province's experts, rewards and budgets
    "own": frozenset({Role.province_admin}),
    "same_province": frozenset({Role.province_admin}),
    "other_province": frozenset(),
}
STANDING_READERS = {
    "own": frozenset({Role.province_admin, Role.city_bureau}),
    "same_province": frozenset({Role.province_admin}),
    "other_province": frozenset(),
}
SEED_ENTITY = """
INSERT INTO registry_entities (entity_type, entity_id, name, region_code)
VALUES ('enterprise', $1, '矩阵电商有限公司', $2)
"""
SEED_APPLICATION = """
INSERT INTO applications (id, workflow_id, programme_id, year, category, entity_type, entity_id,
                          entity_name, region_code, owner_enterprise_id, stage, waiting_on,
                          submitted_by)
VALUES ($1, $2, $3, 2024, 'enterprise', 'enterprise', $4, '矩阵电商有限公司', $5, $4,
        'city_review', 'city_bureau', 'seed')
"""
SEED_DESIGNATION = """
INSERT INTO designations (id, application_id, programme_id, year, category, entity_type,
                          entity_id, entity_name, region_code, title, designated_on, legal_basis,
                          recommended_for_national)
VALUES ($1, $2, $3, 2024, 'enterprise', 'enterprise', $4, '矩阵电商有限公司', $5,
        '贵州省电子商务产业发展示范企业', '2024-06-01', '黔商发〔2023〕1号', false)
"""
SEED_REWARD = """
INSERT INTO reward_awards (id, programme_id, reward_id, kind, entity_type, entity_id,
                           region_code, year, tier, cap_group, cap_year, cap_fen, max_fen,
                           working, idempotency_key, status, proposed_by)
VALUES ($1, $2, 'enterprise-designation', 'designation', 'enterprise', $3, $4, 2025, 'default',
        'designation', 2025, 5000000, 5000000, '{}', $5, 'proposed', 'seed')
"""


class AwardsWorld(World):
    name = "awards"

    def __init__(self, document: Any) -> None:
        super().__init__(document)
        self.public["GET /v1/designations"] = "the designation list is published (公示)"

    def prepare_app(self, app: Any, dsn: str) -> None:
        self.dsn = dsn
        app.state.clock = lambda: NOW

    def seed(self, client: TestClient, tokens: Tokens) -> None:
        tag = secrets.token_hex(4)
        self.entities = {relation: f"E-{relation}-{tag}" for relation in RELATIONS}
        self.operator_enterprises = [self.entities["own"]]
        self.ids: dict[str, dict[str, str]] = {
            kind: {relation: str(uuid.uuid4()) for relation in RELATIONS}
            for kind in ("applications", "designations", "rewards")
        }
        self.ids["experts"] = {relation: f"X-{relation}-{tag}" for relation in RELATIONS}
        self.by_value: dict[str, Record] = {}
        asyncio.run(self._seed_rows())
        for relation in RELATIONS:
            province = REGION[relation][:2] + "0000"
            seeder = tokens.bearer(
                {"sub": f"seeder-{province}", "roles": ["province_admin"], "region_code": province}
            )
            expert = client.put(
                f"/v1/experts/{self.ids['experts'][relation]}",
                json={"name": "矩阵专家", "region_code": REGION[relation]},
                headers=seeder,
            )
            assert expert.status_code == 200, expert.text
            if relation != "same_province":  # one budget a programme
                budget = client.put(
                    f"/v1/reward-budgets/{PROGRAMME[relation]}/2025/designation",
                    json={"amount": "1000000"},
                    headers=seeder,
                )
                assert budget.status_code == 200, budget.text
        for relation in RELATIONS:
            ids = {kind: self.ids[kind][relation] for kind in self.ids}
            self.add(region_record("applications", relation, ids["applications"]))
            self.add(self.scoped("designations", relation, ids["designations"], STANDING_READERS))
            self.add(self.scoped("experts", relation, ids["experts"], PROVINCE_ONLY))
            self.add(self.scoped("rewards", relation, ids["rewards"], PROVINCE_ONLY))
            self.by_value[f"budget-{relation}"] = self.scoped(
                "budgets", relation, "", PROVINCE_ONLY
            )

    async def _seed_rows(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            for relation in RELATIONS:
                entity, region = self.entities[relation], REGION[relation]
                application = uuid.UUID(self.ids["applications"][relation])
                await connection.execute(SEED_ENTITY, entity, region)
                await connection.execute(
                    SEED_APPLICATION, application, f"wf-{application}", GUIZHOU, entity, region
                )
                await connection.execute(
                    SEED_DESIGNATION, uuid.UUID(self.ids["designations"][relation]),
                    application, GUIZHOU, entity, region,
                )  # fmt: skip
                award = uuid.UUID(self.ids["rewards"][relation])
                await connection.execute(
                    SEED_REWARD, award, PROGRAMME[relation], entity, region, f"seed-{award}"
                )
        finally:
            await connection.close()

    @staticmethod
    def scoped(
        resource: str, relation: str, marker: str, readers: dict[str, frozenset[Role]]
    ) -> Record:
        markers = (marker,) if marker else ()
        return Record(resource, relation, markers, readers[relation], readers[relation])

    def add(self, record: Record) -> None:
        self.records.append(record)
        self.by_value[record.markers[0]] = record

    # Requests ----------------------------------------------------------------------------

    def path_value(
        self, operation: Operation, name: str, role: Role, relation: str
    ) -> tuple[str, Record | None]:
        if operation.path.startswith("/v1/reward-budgets/") and name == "programme_id":
            return PROGRAMME[relation], self.by_value[f"budget-{relation}"]
        value = {
            "application_id": self.ids["applications"][relation],
            "designation_id": self.ids["designations"][relation],
            "expert_id": self.ids["experts"][relation],
            "award_id": self.ids["rewards"][relation],
            "programme_id": PROGRAMME[relation],
            "entity_id": self.entities[relation],
            "year": "2025",
            "kind": "designation",
        }.get(name)
        if value is None:
            return super().path_value(operation, name, role, relation)
        return value, self.by_value.get(value)

    def ghost_value(self, operation: Operation, name: str) -> str | None:
        if operation.path.startswith("/v1/reward-budgets/"):
            return "2099" if name == "year" else None  # the programme is public: a year without
        return {"expert_id": "X-ghost"}.get(name) or super().ghost_value(operation, name)

    def query_value(self, operation: Operation, name: str, role: Role, relation: str) -> Any:
        return {"programme_id": PROGRAMME[relation], "year": 2025}.get(name)

    def body(self, operation: Operation, role: Role, relation: str) -> Any:
        entity, programme = self.entities[relation], PROGRAMME[relation]
        return {
            "POST /v1/applications": {
                "programme_id": GUIZHOU, "year": 2025, "category": "enterprise",
                "entity_type": "enterprise", "entity_id": entity, "materials": {},
            },
            "PUT /v1/experts/{expert_id}": {"name": "矩阵改名", "region_code": REGION[relation]},
            "POST /v1/rewards/proposals": {
                "programme_id": programme, "reward_id": "enterprise-designation",
                "entity_type": "enterprise", "entity_id": entity, "year": 2025,
            },
            "POST /v1/rewards/proposal-runs": {
                "programme_id": programme, "reward_id": "enterprise-designation", "year": 2025,
            },
            "POST /v1/designations/{designation_id}/violations": {
                "reason": "矩阵违规", "evidence": {"note": "矩阵"},
            },
            "PUT /v1/calendar-years/{year}": {"holidays": ["2025-10-01"]},
            "POST /v1/credit-records": {
                "record_id": f"cr-{secrets.token_hex(6)}", "entity_id": entity,
                "kind": "abnormal_operation", "valid_from": "2025-01-01",
                "source_document": "信用中国",
            },
        }.get(operation.key)  # fmt: skip

    def fill_body(self, operation: Operation, call: Call, role: Role, relation: str) -> None:
        super().fill_body(operation, call, role, relation)
        if operation.key in ("POST /v1/rewards/proposals", "POST /v1/rewards/proposal-runs"):
            call.refused_for = frozenset(Role) - PROVINCE_ONLY[relation]
        if operation.key == "POST /v1/applications":  # an operator applies for its own only
            call.refused_for = frozenset(Role) - (
                frozenset({Role.operator}) if relation == "own" else frozenset()
            )
        if operation.key == "POST /v1/credit-records":  # integrators granted write only
            call.refused_for = frozenset(Role)
