"""What the year's end-to-end tests do through the public surface: REST calls with tokens of
the right office, the events as an outside system reads them from Kafka, and the histories
Temporal keeps. Nothing here imports a service's own modules (they move; their APIs do not).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.support.kafka import envelope_of
from tests.support.kafka_snapshot import read_to_end
from tests.support.polling import eventually
from tests.support.year_stack import FINANCE_SECRET, YearStack, gather_pages

T = TypeVar("T")

PROGRAMMES = Path(__file__).resolve().parent / "programmes"
PROGRAMME = "guizhou-year-e2e"
YEAR = 2026
WINDOW = f"{PROGRAMME}.annual-report.{YEAR}"
PROVINCE = "520000"
CHINA = dt.timezone(dt.timedelta(hours=8))

# GB 32100-2015: the 31 characters and the weights of positions 1-17 (DOMAIN.md).
CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(region_code: str) -> str:
    """A fresh unified social credit code (9 = industry and commerce, 1 = enterprise) with its
    check character, registered in ``region_code``."""
    first17 = f"91{region_code}" + "".join(secrets.choice("0123456789") for _ in range(9))
    total = sum(CODE_CHARACTERS.index(c) * w for c, w in zip(first17, CODE_WEIGHTS, strict=True))
    return first17 + CODE_CHARACTERS[(31 - total % 31) % 31]


def china(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA)


class Refused(AssertionError):
    pass


@dataclass
class Api:
    """REST calls as one of the programme's offices, people or systems."""

    stack: YearStack

    # --- tokens ------------------------------------------------------------------------------

    def province(self) -> str:
        return self.stack.tokens(
            roles=["province_admin"], subject="gz-province", region_code=PROVINCE
        )

    def city(self, city_code: str) -> str:
        return self.stack.tokens(
            roles=["city_bureau"], subject=f"bureau-{city_code}", region_code=city_code
        )

    def operator(self, subject: str, entity_ids: Iterable[str]) -> str:
        return self.stack.tokens(roles=["operator"], subject=subject, enterprise_ids=entity_ids)

    def expert(self, expert_id: str) -> str:
        return self.stack.tokens(roles=["expert"], subject=expert_id)

    def integrator(self) -> str:
        return self.stack.tokens(roles=["integrator"], subject="gz-finance-platform")

    # --- calls -------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        token: str | None,
        *,
        expect: int | tuple[int, ...] = (200, 201),
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if method == "POST" and token is not None:
            sent.setdefault("Idempotency-Key", uuid.uuid4().hex)
        async with self.stack.client(service) as client:
            response = await client.request(
                method, path, json=json_body, params=params, headers=sent, content=content
            )
        expected = (expect,) if isinstance(expect, int) else expect
        if response.status_code not in expected:
            raise Refused(
                f"{method} {service}{path}: {response.status_code} {response.text[:2000]}"
            )
        return response

    async def post(self, service: str, path: str, token: str, body: Any, **kw: Any) -> Any:
        return (await self.call("POST", service, path, token, json_body=body, **kw)).json()

    async def get(self, service: str, path: str, token: str, **kw: Any) -> Any:
        return (await self.call("GET", service, path, token, **kw)).json()

    async def pages(self, service: str, path: str, token: str, **params: Any) -> list[Any]:
        async with self.stack.client(service) as client:
            return await gather_pages(
                client, path, headers={"Authorization": f"Bearer {token}"}, **params
            )

    async def inbox(self, token: str, **params: Any) -> list[dict[str, Any]]:
        return await self.pages("notifications", "/v1/inbox", token, **params)

    async def deliveries(self, token: str, **params: Any) -> list[dict[str, Any]]:
        return await self.pages("notifications", "/v1/deliveries", token, **params)

    async def finance_callback(self, body: dict[str, Any]) -> httpx.Response:
        """Finance's signed answer (HMAC-SHA256 of the raw body), as docs/rewards.md says."""
        raw = json.dumps(body, separators=(",", ":")).encode()
        signature = hmac.new(FINANCE_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        return await self.call(
            "POST",
            "awards",
            "/callbacks/finance/payment-results",
            None,
            content=raw,
            headers={
                "Content-Type": "application/json",
                "X-Finance-Signature": f"sha256={signature}",
            },
            expect=(200, 201),
        )


async def until_value(
    check: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    *,
    seconds: float = 90,
    what: str,
) -> T:
    """Poll ``check`` until ``accept`` takes its value; fail naming ``what`` and the last value."""
    value = await eventually(check, accept, seconds=seconds, interval=0.5)
    assert accept(value), f"{what}: not reached in {seconds}s; last seen: {str(value)[:3000]}"
    return value


@dataclass
class Events:
    """The run's events as an outside system reads them: a plain consumer from the start of
    each topic, every record read through the CloudEvents SDK (``envelope_of``)."""

    stack: YearStack
    seen: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    async def of(self, topic: str) -> list[dict[str, Any]]:
        records = await read_to_end(self.stack.kafka_bootstrap, self.stack.topic(topic))
        envelopes = [envelope_of(record) for record in records]
        envelopes.sort(key=lambda e: (e["time"], e["id"]))
        self.seen[topic] = envelopes
        return envelopes

    async def types(self, topic: str) -> list[str]:
        return [e["type"] for e in await self.of(topic)]

    async def wait(
        self, topic: str, accept: Callable[[list[dict[str, Any]]], bool], *, what: str
    ) -> list[dict[str, Any]]:
        return await until_value(lambda: self.of(topic), accept, what=what, seconds=90)


def of_type(envelopes: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [e for e in envelopes if e["type"] == event_type]


# --- the cast and the round ---------------------------------------------------------------------


def office_email(region_code: str) -> str:
    return f"bureau{region_code}@commerce.guizhou.example.cn"


@dataclass
class Operator:
    """An enterprise and the operator who acts for it (and for what it runs)."""

    city: str
    county: str
    name: str
    enterprise_id: str = ""
    credit_code: str = ""
    runs: list[str] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return f"operator-{self.city}"

    @property
    def email(self) -> str:
        return f"operator{self.city}@shop.example.cn"

    def token(self, api: Api) -> str:
        return api.operator(self.subject, [self.enterprise_id, *self.runs])


@dataclass
class Project:
    """One application, and the designation it becomes."""

    key: str
    category: str
    entity_type: str
    entity_id: str
    operator: Operator
    reports: str  # on_time | late | never
    figures: dict[str, Any]
    application_id: str = ""
    workflow_id: str = ""
    designation_id: str = ""

    @property
    def city(self) -> str:
        return self.operator.city


class Round:
    """The application round as the offices and the experts work it, through awards' API."""

    def __init__(self, api: Api, experts: dict[str, str]) -> None:
        self.api = api
        self.experts = experts  # id: region
        self.indicators: dict[str, list[tuple[str, Decimal]]] = {}

    async def appoint_experts(self) -> None:
        for expert_id, region in self.experts.items():
            await self.api.call(
                "PUT", "awards", f"/v1/experts/{expert_id}", self.api.province(),
                json_body={"name": f"评审专家{expert_id[-4:]}", "region_code": region},
            )  # fmt: skip

    async def read_programme(self) -> None:
        """The indicator systems experts score against, from the programme as published
        (the registry serves it)."""
        programme = await self.api.get(
            "registry", f"/v1/programmes/{PROGRAMME}", self.api.province()
        )
        for system in programme["evaluation"]["indicator_systems"]:
            self.indicators[system["category"]] = [
                (i["id"], Decimal(str(i["weight"]))) for i in system["indicators"]
            ]

    def materials(self, project: Project) -> dict[str, Any]:
        form: dict[str, Any] = {"name": project.key, "region_code": project.operator.county,
                "contact_name": "张经理", "contact_phone": "0851-86000000"}  # fmt: skip
        if project.category == "enterprise":
            form |= {"credit_code": project.operator.credit_code, "online_retail_sales": "80000000",
                     "workers": 120}  # fmt: skip
        elif project.category == "team":
            form |= {"enterprise": project.operator.name, "team_members": 28,
                     "live_commerce_sales": "48000000"}  # fmt: skip
        else:
            form |= {"credit_code": project.operator.credit_code, "operator": project.operator.name,
                     "floor_area_m2": project.figures["floor_area"],
                     "resident_enterprises": project.figures["resident_enterprises"],
                     "transaction_volume": "1500000000", "live_rooms": 40,
                     "monthly_live_gmv": "25000000", "years_in_operation": 5}  # fmt: skip
        return {"application_form": form, "written_application": f"{project.key} 申报书（正文略）"}

    async def apply(self, project: Project) -> None:
        body = {"programme_id": PROGRAMME, "year": YEAR, "category": project.category,
                "entity_type": project.entity_type, "entity_id": project.entity_id,
                "materials": self.materials(project)}  # fmt: skip
        token = project.operator.token(self.api)

        async def submitted() -> Any:
            # awards learns of the entity from the registry's events: until then, 422
            response = await self.api.call(
                "POST", "awards", "/v1/applications", token, json_body=body, expect=(201, 422)
            )
            return response.json()

        accepted = await until_value(
            submitted, lambda a: "workflow_id" in a, what=f"{project.key}: application accepted"
        )
        project.application_id = accepted["id"]
        project.workflow_id = accepted["workflow_id"]
        assert accepted["stage"] == "city_review", accepted

    async def step(self, project: Project, token: str, action: str, **fields: Any) -> Any:
        return await self.api.post(
            "awards", f"/v1/applications/{project.application_id}/steps", token,
            {"action": action, **fields},
        )  # fmt: skip

    async def review(self, project: Project, rank: int, *, conflict: bool, objection: bool) -> None:
        province = self.api.province()
        await self.step(project, self.api.city(project.city), "city_recommend", rank=rank)
        await self.step(
            project, province, "record_document_review", passed=True,
            findings=[{"material": "application_form", "ok": True},
                      {"material": "written_application", "ok": True}],
        )  # fmt: skip
        await self.step(project, province, "schedule_site_visit", visit_on="2026-11-02")
        await self.step(project, province, "record_site_visit", passed=True)
        state = await self.step(project, province, "assign_experts")
        panel = list(state["panel"])
        assert len(panel) == 3, state
        assert not any(self.experts[e][:4] == project.city[:4] for e in panel), (project.key, panel)
        if conflict:
            conflicted = panel[0]
            state = await self.step(
                project, self.api.expert(conflicted), "declare_conflict",
                reason="曾为申报企业提供咨询服务",
            )  # fmt: skip
            assert conflicted not in state["panel"] and len(state["panel"]) == 3, state
            panel = list(state["panel"])
        for n, member in enumerate(panel):
            card = {i: str((w * Decimal("0.8" if n else "0.9")).quantize(Decimal("0.1")))
                    for i, w in self.indicators[project.category]}  # fmt: skip
            state = await self.step(project, self.api.expert(member), "score", scores=card)
        assert state["stage"] == "decision", state
        state = await self.step(
            project, province, "decide", approve=True, recommend_for_national=True
        )
        assert state["stage"] == "public_notice", state
        if objection:
            state = await self.step(
                project, province, "file_objection", objector_name="匿名群众",
                objector_contact="13800000000", reason="反映申报材料中的销售额与实际不符",
            )  # fmt: skip
            assert state["stage"] == "objection", state
            state = await self.step(
                project, province, "resolve_objection", upheld=False,
                reason="经核查，销售额有税务发票佐证，异议不成立",
            )  # fmt: skip
            assert state["stage"] == "public_notice", state
        # 公示 five working days from the day after publication (Tue 3 - Mon 9 November)
        assert state["notice_last_day"] == "2026-11-09", state
