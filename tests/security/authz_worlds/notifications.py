"""The notifications world: offices of Guizhou and Qinghai, each with a notification in its
inbox, a failed delivery and a recipient; and a notice in each region's enterprise's inbox.

Notifications address an office (a region and a role), not a subtree: the inbox is read by
that office alone; deliveries and recipients by the office, the province over it (which also
re-sends and manages contacts) and integrators (read only)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from typing import Any

import asyncpg
from fastapi.testclient import TestClient

from shared.auth.roles import Role
from tests.security.authz_matrix import CALLERS, REGION, Call, Operation, Record, Tokens, within
from tests.security.authz_worlds.base import World

Office = tuple[str, str]  # (region, role)
OFFICES: tuple[Office, ...] = (
    ("520000", "province_admin"), ("520100", "city_bureau"), ("520102", "county_bureau"),
    ("522600", "city_bureau"), ("522601", "county_bureau"),
    ("630000", "province_admin"), ("630100", "city_bureau"), ("630102", "county_bureau"),
)  # fmt: skip
# The office a case aims at, for each caller: its own, another of Guizhou, one of Qinghai.
AIMS: dict[str, dict[str, Office]] = {
    "province_admin": {"own": OFFICES[0], "same_province": OFFICES[3], "other_province": OFFICES[5]},
    "city_bureau": {"own": OFFICES[1], "same_province": OFFICES[3], "other_province": OFFICES[6]},
    "county_bureau": {"own": OFFICES[2], "same_province": OFFICES[4], "other_province": OFFICES[7]},
}  # fmt: skip
OTHERS = AIMS["county_bureau"]  # experts, operators and integrators aim at the counties'


def relation_of(region: str) -> str:
    if not region.startswith("52"):
        return "other_province"
    return "own" if within(region, "520102") else "same_province"


def own_office(role: Role) -> Office | None:
    claims = CALLERS[role]
    return (claims["region_code"], str(role)) if "region_code" in claims else None


def office_readers(office: Office) -> frozenset[Role]:
    """Deliveries and recipients (``office_scope``): the office, its province, integrators."""
    return frozenset(
        role
        for role in Role
        if role is Role.integrator
        or own_office(role) == office
        or (role is Role.province_admin and within("520000", office[0]))
    )


class NotificationsWorld(World):
    name = "notifications"

    def prepare_app(self, app: Any, dsn: str) -> None:
        self.dsn = dsn

    def seed(self, client: TestClient, tokens: Tokens) -> None:
        self.tag = secrets.token_hex(4)
        self.enterprises = {relation: f"E-{relation}-{self.tag}" for relation in REGION}
        self.operator_enterprises = [self.enterprises["own"]]
        self.inbox: dict[Office | str, str] = {}
        self.deliveries: dict[Office, str] = {}
        self.recipients: dict[Office, str] = {}
        self.by_id: dict[str, Record] = {}
        asyncio.run(self._seed_rows())
        for office in OFFICES:
            province = office[0][:2] + "0000"
            seeder = tokens.bearer(
                {"sub": f"seeder-{province}", "roles": ["province_admin"], "region_code": province}
            )
            response = client.post("/v1/recipients", json=self.recipient(office), headers=seeder)
            assert response.status_code == 201, response.text
            self.recipients[office] = str(response.json()["id"])
            self.add("recipients", office, self.recipients[office])

    async def _seed_rows(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        try:
            for office in OFFICES:
                delivery, notification = uuid.uuid4(), uuid.uuid4()
                await connection.execute(
                    "INSERT INTO deliveries (id, event_id, recipient_key, channel, region_code, "
                    "role, kind, title, body, status, reason) VALUES ($1, $2, $3, 'email', $4, "
                    "$5, 'deadline_reminder', '年报提醒', '请按时提交', 'failed', 'bounced')",
                    delivery, f"ev-{self.tag}-{office[0]}", f"office:{office[0]}:{office[1]}",
                    *office,
                )  # fmt: skip
                await self._notification(connection, notification, office, None)
                self.deliveries[office], self.inbox[office] = str(delivery), str(notification)
                self.add("deliveries", office, str(delivery))
                readers = frozenset(role for role in Role if own_office(role) == office)
                self.add("inbox", office, str(notification), readers=readers)
            for relation, enterprise in self.enterprises.items():
                notification = uuid.uuid4()
                office = (REGION[relation], "operator")
                await self._notification(connection, notification, office, enterprise)
                self.inbox[enterprise] = str(notification)
                readers = frozenset({Role.operator}) if relation == "own" else frozenset()
                self.add("inbox", office, str(notification), readers=readers)
        finally:
            await connection.close()

    async def _notification(
        self, connection: asyncpg.Connection, id_: uuid.UUID, office: Office, enterprise: Any
    ) -> None:
        await connection.execute(
            "INSERT INTO notifications (id, recipient_region, recipient_role, kind, title, body, "
            "subject_type, subject_id, recipient_enterprise) VALUES ($1, $2, $3, "
            "'deadline_reminder', '年报提醒', '请于12月10日前提交年报', 'enterprise', $4, $5)",
            id_, *office, f"S-{self.tag}", enterprise,
        )  # fmt: skip

    def add(
        self, resource: str, office: Office, marker: str, *, readers: frozenset[Role] | None = None
    ) -> None:
        writers = frozenset(
            role for role in office_readers(office) if role in (Role.province_admin,)
            or own_office(role) == office
        ) - {Role.integrator}  # fmt: skip
        record = Record(
            resource=resource,
            relation=relation_of(office[0]),
            markers=(marker,),
            readers=office_readers(office) if readers is None else readers,
            writers=readers if resource == "inbox" and readers is not None else writers,
            region=office[0],
        )
        self.records.append(record)
        self.by_id[marker] = record

    def recipient(self, office: Office) -> dict[str, Any]:
        return {
            "region_code": office[0],
            "role": office[1],
            "name": "矩阵收件单位",
            "channel": "email",
            "address": f"mx-{secrets.token_hex(4)}@example.gov.cn",
        }

    # Requests ----------------------------------------------------------------------------

    def aim(self, role: Role, relation: str) -> Office:
        return AIMS.get(str(role), OTHERS)[relation]

    def path_value(
        self, operation: Operation, name: str, role: Role, relation: str
    ) -> tuple[str, Record | None]:
        office = self.aim(role, relation)
        value = {
            "notification_id": self.inbox[self.enterprises[relation]]
            if role is Role.operator
            else self.inbox[office],
            "delivery_id": self.deliveries[office],
            "recipient_id": self.recipients[office],
        }.get(name)
        if value is None:
            return super().path_value(operation, name, role, relation)
        return value, self.by_id[value]

    def body(self, operation: Operation, role: Role, relation: str) -> Any:
        if operation.key == "POST /v1/recipients":
            return self.recipient(self.aim(role, relation))
        if operation.key == "PUT /v1/recipients/{recipient_id}":
            return {"name": "矩阵改名", "address": f"mx-{secrets.token_hex(4)}@example.gov.cn"}
        return None

    def call(self, operation: Operation, role: Role, relation: str) -> Call:
        call = super().call(operation, role, relation)
        if operation.key == "POST /v1/recipients":
            office = self.aim(role, relation)
            may_manage = own_office(role) == office or (
                role is Role.province_admin and within("520000", office[0])
            )
            call.refused_for = frozenset() if may_manage else frozenset({role})
        return call
