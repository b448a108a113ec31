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
import yaml

from tests.support.kafka import envelope_of
from tests.support.kafka_snapshot import read_to_end
from tests.support.polling import eventually
from tests.support.year_stack import FINANCE_SECRET, YearStack, gather_pages

T = TypeVar("T")

SHIPPED_GUIZHOU = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "programmes"
    / "guizhou-shibaiqianwan-2023.yaml"
)
PROGRAMME = "guizhou-year-e2e"
YEAR = 2026
WINDOW = f"{PROGRAMME}.annual-report.{YEAR}"
PROVINCE = "520000"
CHINA = dt.timezone(dt.timedelta(hours=8))
# The targets the registry measures from designations (the others are reported statistics).
DESIGNATION_METRICS = {
    "designated_parks",
    "designated_live_bases",
    "leading_enterprises",
    "live_teams",
    "leading_enterprises_and_live_teams",
}


# The year's timeline (China time). The report stays due on the document's own day, 10
# December (a programme may not move it: shared/programmes/guards.py); everything else is set
# around it and around the test's fixed start, so that the year runs in three weeks of
# business time on the time-skipping server.
START = dt.datetime(YEAR, 11, 23, 9, tzinfo=CHINA)  # a Monday morning
ROUND_OPENS, ROUND_CLOSES, CITY_REVIEW_DUE = (dt.date(YEAR, 11, d) for d in (23, 24, 25))
NOTICE_LAST_DAY = dt.date(YEAR, 11, 30)  # 公示: five working days from the day after, 24 - 30 Nov
DESIGNATED_ON = dt.date(YEAR, 12, 1)
WINDOW_OPENS = dt.date(YEAR, 12, 2)
DUE_ON = dt.date(YEAR, 12, 10)  # due at the end of the day (the document's)
GRACE_UNTIL_ON = dt.date(YEAR, 12, 14)  # late first reports taken until the end of the day
LOCKS_ON = dt.date(YEAR, 12, 16)  # nothing taken from 00:00 on the 17th: the evaluation
RECTIFICATION_DAYS = 3
RECTIFY_BY = dt.date(YEAR, 12, 20)  # the warning day (the 17th) and three days
REVOKED_ON = dt.date(YEAR, 12, 21)  # the rectification deadline passed at 00:00


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """An instant of the timeline: ``hour`` o'clock, China time, on ``day``."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=CHINA)


def write_year_programme(directory: Path) -> Path:
    """The programme the year runs: Guizhou's file as shipped (its categories, rewards, report
    templates, indicator systems, thresholds and notification routes, in whatever format the
    loader reads today), with its dates set to the timeline above:

    ==========  ===========================================================================
    23 Nov      the round opens (closes the 24th); reviews, scores, decisions, public notice
    1 Dec       designations: the notice's five working days ended at the end of 30 Nov
    2 Dec       the annual-report window opens; reminders 3 and 1 days before the due time
    10 Dec      due at the end of the day; overdue notices 1 and 2 days after (the province
                from the first)
    14 Dec      late first reports taken until the end of the day
    16 Dec      locks at the end of the day: the yearly evaluation warns, 3 days to rectify
    20 Dec      the rectification deadline (end of day): still missing, revoked
    ==========  ===========================================================================

    The expert panel has three members; only the targets the registry measures from
    designations are kept (due by the end of the year); no statistics section (the monthly
    statistics clock is not part of the year). Written into ``directory``, which the services
    read as ``PROGRAMMES_DIR``.
    """
    programme = yaml.safe_load(SHIPPED_GUIZHOU.read_text(encoding="utf-8"))
    programme["id"] = PROGRAMME
    programme["name"] += "（端到端测试年度）"
    programme["period"] = {"start": dt.date(YEAR, 1, 1), "end": dt.date(YEAR, 12, 31)}
    programme["targets"] = [
        {**target, "by": dt.date(YEAR, 12, 31)}
        for target in programme["targets"]
        if target["metric"] in DESIGNATION_METRICS
    ]
    rounds = programme["application_rounds"]
    rounds["first_year"] = YEAR
    rounds["awarding"]["overrides"] = [
        {"year": YEAR, "opens_on": ROUND_OPENS, "closes_on": ROUND_CLOSES,
         "city_review_due_on": CITY_REVIEW_DUE, "note": "end-to-end year"}
    ]  # fmt: skip
    rounds["awarding"]["expert_panel"]["size"] = 3
    window = next(w for w in programme["reporting_windows"] if w["id"] == "annual-report")
    window["first_year"] = window["last_year"] = YEAR
    window["reminders"] = {"before_days": [3, 1], "after_days": [1, 2]}
    window["overrides"] = [
        {"year": YEAR, "opens_on": WINDOW_OPENS, "due_on": DUE_ON,
         "grace_until_on": GRACE_UNTIL_ON, "locks_on": LOCKS_ON, "note": "end-to-end year"}
    ]  # fmt: skip
    programme["dynamic_management"]["rectification_days"] = RECTIFICATION_DAYS
    programme.pop("statistics", None)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{PROGRAMME}.yaml").write_text(
        yaml.safe_dump(programme, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return directory


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
    entity_name: str = ""  # as awards read it from the registry

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
        detail = await self.api.get("awards", f"/v1/applications/{project.application_id}", token)
        project.entity_name = detail["entity_name"]
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
        await self.step(project, province, "schedule_site_visit", visit_on=ROUND_OPENS.isoformat())
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
        # 公示 five working days from the day after publication
        assert state["notice_last_day"] == NOTICE_LAST_DAY.isoformat(), state
