"""A programme year end to end, on the real stack, in minutes.

Guizhou's 十百千万 programme (the shipped file with the year's dates moved into three weeks
around the report's due day, ``year_support.write_year_programme``) runs once through, with the four services as processes
(``python -m <service> api|relay|consumer|worker|sender``) on one business clock that starts on
Monday 23 November 2026, 09:00 China time (``tests/support/year_stack``):

1. The registry names Guizhou's nine cities; city bureaus register an enterprise in each,
   operators their stores, a park, a live base and a team; the province keeps a list of
   notification recipients for the bureaus (e-mail, signed webhooks, WeCom and DingTalk robots)
   and the operators add their own e-mail.
2. The round is open: twelve applications go through city review, document review, site visit,
   an expert panel (one expert declares a conflict and is replaced), the decision and the
   public notice (one objection, dismissed). After five working days they are designated; the
   registry counts them, the operators are told.
3. The reporting window opens; the deadline clock reminds the bureaus on every channel (one
   WeCom robot answers its first message with a rate-limit ``errcode`` and gets it again);
   seven projects report on time (one is returned by its city and corrected), two late, three
   never. Cities recommend, the province accepts. The due time passes: the cities with missing
   reports are told at once, the province a day later. A report after the grace period is
   refused.
4. Rewards from the accepted reports (the park's designation and its sales milestone, an
   enterprise's traffic subsidy) are proposed, approved and settled by finance's signed
   callback; a designation reward is proposed for a project that never reports.
5. The window locks: the yearly evaluation warns the three that never reported (the operators
   and their cities are told, with the rectification deadline); at its end they are revoked:
   awards and the registry show it, the programme's target progress goes down, the unpaid
   reward is voided, the operators are told.

Asserted only through the public surface: the REST APIs, the events on Kafka read by a plain
consumer (an outside system), and Temporal's histories. The time-skipping server serves no
visibility queries (``ListWorkflowExecutions`` is unimplemented there), so workflows are found
by the ids the API returns and docs/awards.md and docs/submissions.md document.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus

from tests.e2e.year_support import (
    DESIGNATED_ON,
    DUE_ON,
    GRACE_UNTIL_ON,
    LOCKS_ON,
    PROGRAMME,
    PROVINCE,
    RECTIFY_BY,
    REVOKED_ON,
    ROUND_OPENS,
    START,
    WINDOW,
    WINDOW_OPENS,
    YEAR,
    Api,
    Events,
    Operator,
    Project,
    Round,
    at,
    credit_code,
    of_type,
    office_email,
    until_value,
    write_year_programme,
)
from tests.support.receivers import DINGTALK_SECRET, WEBHOOK_SECRET, text_of
from tests.support.stack import Stack
from tests.support.year_stack import YearStack, year_stack

ROLES = {
    "registry": ["api", "relay", "consumer"],
    "submissions": ["api", "relay", "consumer", "worker"],
    "awards": ["api", "relay", "consumer", "worker"],
    "notifications": ["api", "relay", "consumer", "sender"],
}

# GB/T 2260 (DOMAIN.md): the nine cities and prefectures of Guizhou.
GUIZHOU_CITIES = {
    "520100": "贵阳市",
    "520200": "六盘水市",
    "520300": "遵义市",
    "520400": "安顺市",
    "520500": "毕节市",
    "520600": "铜仁市",
    "522300": "黔西南布依族苗族自治州",
    "522600": "黔东南苗族侗族自治州",
    "522700": "黔南布依族苗族自治州",
}
GUIYANG, LIUPANSHUI, ZUNYI, ANSHUN, BIJIE, TONGREN, QIANXINAN, QIANDONGNAN, QIANNAN = GUIZHOU_CITIES

# Who receives the bureaus' notices beyond their inbox (the province keeps the directory).
WEBHOOKS = {GUIYANG: "guiyang", ZUNYI: "zunyi"}
WECOM = {ANSHUN: "anshun-robot", BIJIE: "bijie-robot"}
DINGTALK = {LIUPANSHUI: "signed-liupanshui", QIANNAN: "qiannan-robot"}
THROTTLED_FIRST = "wecom:anshun-robot"  # answers its first message with errcode 45009

EXPERTS = {  # id: region (an expert is never seated on an application of its own city)
    "expert-gy-1": GUIYANG,
    "expert-gy-2": GUIYANG,
    "expert-zy-1": ZUNYI,
    "expert-zy-2": ZUNYI,
    "expert-tr-1": TONGREN,
    "expert-tr-2": TONGREN,
}


def enterprise_figures(online: str, physical: str) -> dict[str, Any]:
    return {"online_retail_sales": online, "physical_goods_online_retail_sales": physical,
            "workers": 120, "online_stores": 3}  # fmt: skip


PARK_FIGURES = {
    "online_retail_sales": "1200000000.00",  # 12亿: the 10亿 sales milestone
    "physical_goods_online_retail_sales": "900000000.00",
    "workers": 860,
    "floor_area": "52000",
    "resident_enterprises": 46,
    "transaction_volume": "1500000000.00",
}
BASE_FIGURES = {
    "online_retail_sales": "400000000.00",
    "workers": 300,
    "floor_area": "12000",
    "resident_enterprises": 32,
    "monthly_live_gmv": "25000000.00",
}
TEAM_FIGURES = {
    "online_retail_sales": "60000000.00",
    "live_commerce_sales": "48000000.00",
    "workers": 35,
    "team_members": 28,
}


class Year:
    """The run's cast and what the offices do, step by step."""

    def __init__(self, run: YearStack) -> None:
        self.run = run
        self.api = Api(run)
        self.events = Events(run)
        self.round = Round(self.api, EXPERTS)
        self.counties: dict[str, list[str]] = {}
        self.operators: dict[str, Operator] = {}
        self.projects: list[Project] = []
        self.never_reward_id = ""

    def project(self, key: str) -> Project:
        return next(p for p in self.projects if p.key == key)

    # --- 1. the registry ----------------------------------------------------------------------

    async def read_regions(self) -> None:
        """The cities, and their counties, as the registry answers an unknown code: refused,
        with the codes under its parent (there is no region list route)."""
        province = self.api.province()

        async def under(parent_probe: str) -> list[str]:
            refused = await self.api.call(
                "POST", "registry", "/v1/enterprises", province, expect=422,
                json_body={"credit_code": credit_code("520000"), "name": "区划探测",
                           "region_code": parent_probe},
            )  # fmt: skip
            problem = refused.json()
            assert problem["code"] == "unknown_region", problem
            return list(problem["allowed_values_under_parent"])

        cities = await under("529900")
        assert {c.split(" ", 1)[0]: c.split(" ", 1)[1] for c in cities} == GUIZHOU_CITIES
        for city in GUIZHOU_CITIES:
            listed = await under(city[:4] + "99")
            self.counties[city] = [c.split(" ", 1)[0] for c in listed]
            assert self.counties[city], city
            assert all(code[:4] == city[:4] for code in self.counties[city])

    async def register(self) -> None:
        for city, city_name in GUIZHOU_CITIES.items():
            operator = Operator(
                city, self.counties[city][0], f"{city_name[:2]}黔货出山电子商务有限公司"
            )
            operator.credit_code = credit_code(operator.county)
            enterprise = {"credit_code": operator.credit_code, "name": operator.name,
                          "region_code": operator.county}  # fmt: skip
            # An operator acts only for enterprises its token names: it cannot register its
            # own (new) enterprise; the city bureau does (a gap against "operators register
            # enterprises").
            refused = await self.api.call(
                "POST", "registry", "/v1/enterprises", self.api.operator(operator.subject, []),
                expect=403, json_body=enterprise,
            )  # fmt: skip
            assert refused.json()["status"] == 403
            created = await self.api.post(
                "registry", "/v1/enterprises", self.api.city(city),
                {**enterprise, "kinds": ["platform", "retailer"], "contact_email": operator.email},
            )  # fmt: skip
            operator.enterprise_id = created["id"]
            self.operators[city] = operator
            await self.api.post(
                "registry", "/v1/stores", operator.token(self.api),
                {"platform": "taobao" if city != ZUNYI else "douyin",
                 "platform_shop_id": f"shop-{operator.credit_code}",
                 "name": f"{city_name[:2]}特产旗舰店", "owner_enterprise_id": operator.enterprise_id,
                 "region_code": operator.county, "opened_on": "2025-06-01"},
            )  # fmt: skip
        stores = await self.api.pages(
            "registry", "/v1/stores", self.api.province(), region=PROVINCE
        )
        assert len(stores) == len(GUIZHOU_CITIES)
        guiyang, zunyi, qiandongnan = (self.operators[c] for c in (GUIYANG, ZUNYI, QIANDONGNAN))
        park = await self.api.post(
            "registry", "/v1/parks", guiyang.token(self.api),
            {"kind": "industrial_park", "name": "贵阳市电子商务产业园",
             "operator_enterprise_id": guiyang.enterprise_id, "region_code": guiyang.county,
             "floor_area_m2": "52000", "opened_on": "2021-09-01"},
        )  # fmt: skip
        guiyang.runs.append(park["id"])
        # Residents (004 附件7): the park's own operator and two more enterprises of the city.
        for n in range(2):
            resident = await self.api.post(
                "registry", "/v1/enterprises", self.api.city(GUIYANG),
                {"credit_code": credit_code(guiyang.county), "name": f"贵阳入驻电商企业{n + 1}号",
                 "region_code": guiyang.county, "kinds": ["service"]},
            )  # fmt: skip
            for enterprise_id in ([guiyang.enterprise_id] if n == 0 else []) + [resident["id"]]:
                await self.api.post(
                    "registry",
                    f"/v1/parks/{park['id']}/residents",
                    self.api.city(GUIYANG),
                    {"enterprise_id": enterprise_id, "joined_on": "2022-03-01"},
                )
        base = await self.api.post(
            "registry", "/v1/parks", zunyi.token(self.api),
            {"kind": "live_base", "name": "遵义市电商直播基地",
             "operator_enterprise_id": zunyi.enterprise_id, "region_code": zunyi.county,
             "floor_area_m2": "12000", "live_rooms": 40, "opened_on": "2022-05-01"},
        )  # fmt: skip
        zunyi.runs.append(base["id"])
        team = await self.api.post(
            "registry", "/v1/teams", qiandongnan.token(self.api),
            {"enterprise_id": qiandongnan.enterprise_id, "name": "黔东南苗绣直播团队",
             "region_code": qiandongnan.county, "members": 28, "hosts": 6},
        )  # fmt: skip
        qiandongnan.runs.append(team["id"])
        # The province records the statistics list (上规入统) the traffic subsidy needs.
        await self.api.call(
            "PUT", "registry", f"/v1/enterprises/{guiyang.enterprise_id}/statistics-years/{YEAR}",
            self.api.province(), json_body={"year": YEAR, "in_list": True},
        )  # fmt: skip

        behaviour = {
            GUIYANG: "on_time", ZUNYI: "on_time", ANSHUN: "on_time", BIJIE: "on_time",
            TONGREN: "on_time", QIANXINAN: "late", LIUPANSHUI: "never", QIANNAN: "never",
            QIANDONGNAN: "never",
        }  # fmt: skip
        for city, operator in self.operators.items():
            online = "300000000.00" if city == GUIYANG else "80000000.00"
            physical = "250000000.00" if city == GUIYANG else "60000000.00"
            self.projects.append(
                Project(f"enterprise-{city}", "enterprise", "enterprise", operator.enterprise_id,
                        operator, behaviour[city], enterprise_figures(online, physical))
            )  # fmt: skip
        self.projects += [
            Project("park", "park", "park", park["id"], guiyang, "on_time", PARK_FIGURES),
            Project("base", "base", "park", base["id"], zunyi, "on_time", BASE_FIGURES),
            Project("team", "team", "team", team["id"], qiandongnan, "late", TEAM_FIGURES),
        ]

        # The registry's events, as an integrator reads them.
        registered = await self.events.wait(
            "registry.enterprise",
            lambda es: len(of_type(es, "registry.enterprise.registered.v1")) >= 11,
            what="the enterprises' registered events",
        )
        ids = {
            e["data"]["enterprise_id"]
            for e in of_type(registered, "registry.enterprise.registered.v1")
        }
        assert {o.enterprise_id for o in self.operators.values()} <= ids
        # events carry no contact data
        assert not any(o.email in str(registered) for o in self.operators.values())
        parks = await self.events.wait(
            "registry.park",
            lambda es: len(of_type(es, "registry.park.resident_joined.v1")) >= 3,
            what="the parks and their residents",
        )
        assert len(of_type(parks, "registry.park.registered.v1")) == 2

    async def directory(self) -> None:
        """The province's notification directory for the offices; the operators' own e-mail."""
        province = self.api.province()
        await self.api.post(
            "notifications", "/v1/recipients", province,
            {"region_code": PROVINCE, "role": "province_admin", "name": "省商务厅电子商务处",
             "channel": "email", "address": office_email(PROVINCE)},
        )  # fmt: skip
        for city in GUIZHOU_CITIES:
            office = {
                "region_code": city,
                "role": "city_bureau",
                "name": f"{GUIZHOU_CITIES[city]}商务局",
            }
            await self.api.post("notifications", "/v1/recipients", province,
                                {**office, "channel": "email", "address": office_email(city)})  # fmt: skip
            if city in WEBHOOKS:
                await self.api.post(
                    "notifications", "/v1/recipients", province,
                    {**office, "channel": "webhook", "secret": WEBHOOK_SECRET,
                     "address": self.run.receivers.url("webhook", WEBHOOKS[city])},
                )  # fmt: skip
            if city in WECOM:
                await self.api.post(
                    "notifications", "/v1/recipients", province,
                    {**office, "channel": "wecom", "address": self.run.receivers.url("wecom", WECOM[city])},
                )  # fmt: skip
            if city in DINGTALK:
                signed = DINGTALK[city].startswith("signed")
                await self.api.post(
                    "notifications", "/v1/recipients", province,
                    {**office, "channel": "dingtalk",
                     "address": self.run.receivers.url("dingtalk", DINGTALK[city]),
                     **({"secret": DINGTALK_SECRET} if signed else {})},
                )  # fmt: skip
        for operator in self.operators.values():
            await self.api.post(
                "notifications", "/v1/recipients", operator.token(self.api),
                {"region_code": operator.county, "role": "operator",
                 "enterprise_id": operator.enterprise_id, "name": operator.name,
                 "channel": "email", "address": operator.email},
            )  # fmt: skip
        await self.round.appoint_experts()

    # --- 3. the window --------------------------------------------------------------------------

    async def submit_report(self, project: Project, *, expect_on_time: bool) -> None:
        answer = await self.api.post(
            "submissions", f"/v1/windows/{WINDOW}/reports/{project.designation_id}/versions",
            project.operator.token(self.api), {"figures": project.figures},
        )  # fmt: skip
        assert answer["on_time"] is expect_on_time, (project.key, answer)

    async def city_review(self, project: Project, decision: str, **fields: Any) -> None:
        await self.api.post(
            "submissions", f"/v1/windows/{WINDOW}/reports/{project.designation_id}/city-review",
            self.api.city(project.city), {"decision": decision, **fields},
        )  # fmt: skip

    async def accept(self, project: Project) -> None:
        await self.api.post(
            "submissions", f"/v1/windows/{WINDOW}/reports/{project.designation_id}/province-review",
            self.api.province(), {"decision": "accept"},
        )  # fmt: skip

    async def office_deliveries(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in await self.api.deliveries(self.api.province()) if d["kind"] == kind]

    async def wait_deliveries(
        self, kind: str, accept: Any, *, what: str, seconds: float = 120
    ) -> list[dict[str, Any]]:
        return await until_value(
            lambda: self.office_deliveries(kind), accept, what=what, seconds=seconds
        )


def settled(deliveries: list[dict[str, Any]]) -> bool:
    return bool(deliveries) and all(d["status"] in ("delivered", "sent") for d in deliveries)


def by_office(deliveries: list[dict[str, Any]], point: str) -> dict[tuple[str, str], set[str]]:
    """(region, role) → channels, for the deliveries of one clock point."""
    offices: dict[tuple[str, str], set[str]] = {}
    for d in deliveries:
        if d["payload"].get("point") == point:
            offices.setdefault((d["region_code"], d["role"]), set()).add(d["channel"])
    return offices


async def history_types(run: YearStack, workflow_id: str) -> Counter[str]:
    history = await run.temporal.client.get_workflow_handle(workflow_id).fetch_history()
    return Counter(EventType.Name(event.event_type) for event in history.events)


@pytest.mark.timeout(2400)
async def test_a_programme_year(stack: Stack, tmp_path: Path) -> None:
    async with year_stack(
        kafka_bootstrap=stack.kafka_bootstrap,
        programmes_dir=write_year_programme(tmp_path / "programmes"),
        start=START,
        roles=ROLES,
        throttle_first=[THROTTLED_FIRST],
    ) as run:
        year = Year(run)
        await year_registry_and_round(year)
        run.note("registry, round, reviews and notice done")
        await year_designations(year)
        run.note("designations checked")
        await year_reporting(year)
        run.note("reporting, reminders and escalation checked")
        await year_rewards(year)
        run.note("rewards settled")
        await year_evaluation(year)
        run.note("evaluation and revocation checked")


async def year_registry_and_round(year: Year) -> None:
    api = year.api
    await year.read_regions()
    await year.register()
    await year.directory()
    await year.round.read_programme()

    progress = await api.get(
        "registry", f"/v1/programmes/{PROGRAMME}/progress", api.province(), params={"by": "city"}
    )
    assert progress["year"] == YEAR and progress["as_of"] == ROUND_OPENS.isoformat(), progress
    assert {t["id"]: t["current"] for t in progress["targets"]} == {
        "designated-parks": "0", "designated-live-bases": "0",
        "leading-enterprises-and-live-teams": "0", "leading-enterprises": "0", "live-teams": "0",
    }  # fmt: skip

    # The round is open (23 - 24 November): every project applies; city and province review.
    for project in year.projects:
        await year.round.apply(project)
    submitted = await year.events.wait(
        "awards.application",
        lambda es: len(of_type(es, "awards.application.submitted.v1")) == len(year.projects),
        what="every application submitted",
    )
    assert {
        e["data"]["application_id"] for e in of_type(submitted, "awards.application.submitted.v1")
    } == {p.application_id for p in year.projects}
    # each city bureau finds its city's applications waiting for its review (待办)
    for city in GUIZHOU_CITIES:
        waiting = await api.get("awards", "/v1/applications/waiting", api.city(city))
        assert {a["id"] for a in waiting["items"]} == {
            p.application_id for p in year.projects if p.city == city
        }, city
    ranks: Counter[str] = Counter()
    for project in year.projects:
        ranks[project.city] += 1
        await year.round.review(
            project,
            ranks[project.city],
            conflict=project.key == f"enterprise-{GUIYANG}",
            objection=project.key == f"enterprise-{BIJIE}",
        )
    conflicted = await api.get(
        "awards", f"/v1/applications/{year.project(f'enterprise-{GUIYANG}').application_id}",
        api.province(),
    )  # fmt: skip
    steps = [s["step"] for s in conflicted["timeline"]]
    assert "declare_conflict" in steps and steps.count("score") == 3, steps
    objected = await api.get(
        "awards", f"/v1/applications/{year.project(f'enterprise-{BIJIE}').application_id}",
        api.province(),
    )  # fmt: skip
    assert [s["step"] for s in objected["timeline"]][-2:] == ["file_objection", "resolve_objection"]

    # The city bureaus were told of the applications waiting for them (inbox).
    for city in GUIZHOU_CITIES:
        inbox = await until_value(
            lambda city=city: api.inbox(api.city(city)),
            lambda items, city=city: sum(i["kind"] == "application_submitted" for i in items)
            == sum(p.city == city for p in year.projects),
            what=f"{city}: application notices",
        )
        assert all(i["recipient_region"] == city for i in inbox)


async def year_designations(year: Year) -> None:
    run, api = year.run, year.api
    # 公示 ends at the end of Monday 30 November: designated at 00:00 on 1 December.
    await run.advance_to(at(DESIGNATED_ON))
    designations = await until_value(
        lambda: api.pages("awards", "/v1/designations", api.province(), programme_id=PROGRAMME,
                          year=YEAR),
        lambda items: len(items) == len(year.projects),
        what="every designation",
    )  # fmt: skip
    by_entity = {d["entity_id"]: d for d in designations}
    for project in year.projects:
        designation = by_entity[project.entity_id]
        project.designation_id = designation["id"]
        assert designation["status"] == "designated", designation
        assert designation["designated_on"] == DESIGNATED_ON.isoformat(), designation
        assert designation["application_id"] == project.application_id
        assert designation["legal_basis"].startswith("黔商发〔2023〕1号")
        assert designation["recommended_for_national"] is True
    titles = {d["category"]: d["title"] for d in designations}
    assert titles == {
        "park": "贵州省电子商务产业发展示范园区", "base": "贵州省电子商务直播示范基地",
        "enterprise": "贵州省电子商务产业发展示范企业", "team": "贵州省电子商务直播示范团队",
    }  # fmt: skip

    granted = await year.events.wait(
        "awards.designation",
        lambda es: len(of_type(es, "awards.designation.granted.v1")) == len(year.projects),
        what="designation granted events",
    )
    for event in of_type(granted, "awards.designation.granted.v1"):
        assert event["subject"] == event["data"]["designation_id"]
        assert event["data"]["title"] == titles[event["data"]["category"]]

    # The registry holds the titles: what it lists as designated in this programme, and counts.
    async def designated(kind: str) -> set[str]:
        items = await api.pages("registry", f"/v1/{kind}", api.province(), designated="true",
                                programme_id=PROGRAMME)  # fmt: skip
        return {i["id"] for i in items}

    enterprises = {p.entity_id for p in year.projects if p.entity_type == "enterprise"}
    await until_value(lambda: designated("enterprises"), lambda s: s == enterprises,
                      what="registry: designated enterprises")  # fmt: skip
    assert await designated("parks") == {
        year.project("park").entity_id,
        year.project("base").entity_id,
    }
    assert await designated("teams") == {year.project("team").entity_id}
    progress = await api.get("registry", f"/v1/programmes/{PROGRAMME}/progress", api.province(),
                             params={"by": "city"})  # fmt: skip
    current = {t["id"]: t["current"] for t in progress["targets"]}
    assert current == {
        "designated-parks": "1", "designated-live-bases": "1",
        "leading-enterprises-and-live-teams": "10", "leading-enterprises": "9", "live-teams": "1",
    }, current  # fmt: skip
    leading = next(t for t in progress["targets"] if t["id"] == "leading-enterprises")
    assert {a["region_code"]: a["current"] for a in leading["by_area"]} == {
        city: "1" for city in GUIZHOU_CITIES
    }

    # The operators are told (inbox, e-mail).
    for operator in year.operators.values():
        inbox = await until_value(
            lambda operator=operator: api.inbox(operator.token(api)),
            lambda items: any(i["kind"] == "designation_granted" for i in items),
            what=f"{operator.city}: designation notice",
        )
        granted_notice = next(i for i in inbox if i["kind"] == "designation_granted")
        assert granted_notice["recipient_enterprise"] == operator.enterprise_id
        assert "贵州省电子商务产业发展示范企业" in granted_notice["title"] + granted_notice["body"]
        await until_value(
            lambda operator=operator: mail_to(run, operator.email),
            lambda messages: len(messages) >= 1,
            what=f"{operator.email}: designation e-mail",
        )

    # Temporal: each application's history ran the panel and the notice; the designation's
    # own workflow (dynamic management) runs, waiting for the year's evaluation.
    for project in year.projects:
        handle = run.temporal.client.get_workflow_handle(project.workflow_id)
        assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
        types = await history_types(run, project.workflow_id)
        assert types["EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED"] >= 9, (project.key, types)
        assert types["EVENT_TYPE_TIMER_FIRED"] >= 1, (project.key, types)
        lifecycle = run.temporal.client.get_workflow_handle(
            f"awards-designation-{project.designation_id}"
        )
        assert (await lifecycle.describe()).status == WorkflowExecutionStatus.RUNNING


async def mail_to(run: YearStack, address: str) -> list[EmailMessage]:
    return run.mailbox.to(address)


async def year_reporting(year: Year) -> None:
    run, api = year.run, year.api
    await run.advance_to(at(WINDOW_OPENS))
    window = await until_value(
        lambda: api.get("submissions", f"/v1/windows/{WINDOW}", api.province()),
        lambda w: w["status"] == "open",
        what="the window opened by the clock",
    )
    assert window["opened_by"] == "clock", window
    roster = await api.pages("submissions", f"/v1/windows/{WINDOW}/roster", api.province())
    assert {r["designation_id"] for r in roster} == {p.designation_id for p in year.projects}
    opened = of_type(await year.events.of("submissions.window"), "submissions.window.opened.v1")
    assert len(opened) == 1 and opened[0]["data"]["expected"] == len(year.projects), opened

    # Tuesday 8 December, 00:00: three days before the due time. Every city has a project
    # that has not reported: each bureau hears on its every channel (and its counties).
    await run.advance_to(at(DUE_ON - dt.timedelta(days=2)))
    first = await year.wait_deliveries(
        "deadline_reminder",
        lambda ds: len(by_office(ds, "before-3d")) >= 18 and settled(ds),
        what="the first reminder, delivered on every channel",
    )
    offices = by_office(first, "before-3d")
    for city in GUIZHOU_CITIES:
        channels = {"inbox", "email"} | ({"webhook"} if city in WEBHOOKS else set())
        channels |= {"wecom"} if city in WECOM else set()
        channels |= {"dingtalk"} if city in DINGTALK else set()
        assert offices[(city, "city_bureau")] == channels, (
            city,
            offices.get((city, "city_bureau")),
        )
        county = year.operators[city].county
        assert offices[(county, "county_bureau")] == {"inbox"}, county
    assert all(region != PROVINCE for region, _ in offices)  # before the due time: not the province
    # one message per office listing its missing reporters by name (Guiyang: its enterprise
    # and park)
    guiyang_inbox = [
        i for i in await api.inbox(api.city(GUIYANG)) if i["kind"] == "deadline_reminder"
    ]
    assert len(guiyang_inbox) == 1, guiyang_inbox
    for project in (p for p in year.projects if p.city == GUIYANG):
        assert project.entity_name and project.entity_name in guiyang_inbox[0]["body"]
    for city in GUIZHOU_CITIES:
        assert any(
            "年度数据" in text_of(m) or "报送" in text_of(m)
            for m in run.mailbox.to(office_email(city))
        )
    for city, name in WEBHOOKS.items():
        hooks = run.receivers.accepted(f"webhook:{name}")
        assert hooks and hooks[0].body["kind"] == "deadline_reminder", city
        assert hooks[0].headers["X-Notification-Signature"].startswith("sha256=")
    # the throttled robot: refused once with its rate-limit errcode, then taken on a retry
    throttled = run.receivers.at(THROTTLED_FIRST)
    assert [r.answer["errcode"] for r in throttled[:2]] == [45009, 0], throttled
    assert throttled[0].body == throttled[1].body
    wecom = next(d for d in first if d["channel"] == "wecom" and d["region_code"] == ANSHUN)
    assert [a["outcome"] for a in wecom["attempt_history"]][:2] == ["throttled", "delivered"], wecom
    for name in DINGTALK.values():
        assert run.receivers.accepted(f"dingtalk:{name}"), name
    reminder = await year.events.wait(
        "submissions.deadline",
        lambda es: any(e["data"]["point"] == "before-3d" for e in es),
        what="the approaching event",
    )
    approaching = next(e for e in reminder if e["data"]["point"] == "before-3d")
    assert approaching["type"] == "submissions.deadline.approaching.v1"
    assert approaching["data"]["missing"] == len(year.projects)

    # Seven report on time; Zunyi's bureau returns its enterprise's report once.
    on_time = [p for p in year.projects if p.reports == "on_time"]
    for project in on_time:
        await year.submit_report(project, expect_on_time=True)
    zunyi = year.project(f"enterprise-{ZUNYI}")
    await year.city_review(zunyi, "return", reason="请核实从业人员数",
                           field_comments={"workers": "与社保缴纳人数不一致"})  # fmt: skip
    returned = await until_value(
        lambda: api.inbox(zunyi.operator.token(api)),
        lambda items: any(i["kind"] == "report_returned" for i in items),
        what="the operator hears its report was returned",
    )
    assert any(
        "workers" in i["body"] or "从业人员" in i["body"]
        for i in returned
        if i["kind"] == "report_returned"
    )
    zunyi.figures = {**zunyi.figures, "workers": 118}
    await year.submit_report(zunyi, expect_on_time=True)  # the first submission decides
    for project in on_time:
        await year.city_review(project, "recommend")
        await year.accept(project)

    # Thursday 10 December, 00:00: a day before. Only the cities still missing hear again.
    await run.advance_to(at(DUE_ON))
    second = await year.wait_deliveries(
        "deadline_reminder",
        lambda ds: (
            CITIES_MISSING
            <= {r for (r, role) in by_office(ds, "before-1d") if role == "city_bureau"}
        )
        and settled([d for d in ds if d["payload"].get("point") == "before-1d"]),
        what="the second reminder",
    )
    assert {
        r for (r, role) in by_office(second, "before-1d") if role == "city_bureau"
    } == CITIES_MISSING

    # Friday 11 December, 00:00: due. The cities with missing reports hear at once; the
    # province not yet. Two report late (within the grace period).
    await run.advance_to(at(DUE_ON + dt.timedelta(days=1)))
    due = await year.wait_deliveries(
        "deadline_overdue",
        lambda ds: {r for (r, _) in by_office(ds, "due")} >= CITIES_MISSING and settled(ds),
        what="the overdue notices at the due time",
    )
    assert set(by_office(due, "due")) == {(c, "city_bureau") for c in CITIES_MISSING}
    for project in (p for p in year.projects if p.reports == "late"):
        await year.submit_report(project, expect_on_time=False)
        await year.city_review(project, "recommend")
        await year.accept(project)

    # Saturday 12 December, 00:00: a day after. The province joins the ladder with the
    # province's overdue list; the cities still missing hear again.
    await run.advance_to(at(DUE_ON + dt.timedelta(days=2)))
    after = await year.wait_deliveries(
        "deadline_overdue",
        lambda ds: (PROVINCE, "province_admin") in by_office(ds, "after-1d") and settled(ds),
        what="the overdue notices a day after, up to the province",
    )
    ladder = by_office(after, "after-1d")
    assert set(ladder) == {(c, "city_bureau") for c in CITIES_NEVER} | {
        (PROVINCE, "province_admin")
    }
    assert ladder[(PROVINCE, "province_admin")] == {"inbox", "email"}
    province_notice = next(
        d for d in after
        if d["region_code"] == PROVINCE and d["channel"] == "inbox" and d["payload"].get("point") == "after-1d"
    )  # fmt: skip
    assert len(province_notice["payload"]["designation_ids"]) == 3, province_notice["payload"]
    passed = of_type(await year.events.of("submissions.deadline"), "submissions.deadline.passed.v1")
    assert [e["data"]["point"] for e in passed] == ["due", "after-1d"], passed
    assert [e["data"]["missing"] for e in passed] == [5, 3], passed

    completeness = await api.get(
        "submissions", f"/v1/windows/{WINDOW}/completeness", api.province()
    )
    province_row = completeness["province"]
    assert (province_row["expected"], province_row["on_time"], province_row["late"],
            province_row["missing"], province_row["accepted"]) == (12, 7, 2, 3, 9), province_row  # fmt: skip


CITIES_NEVER = {LIUPANSHUI, QIANNAN, QIANDONGNAN}
CITIES_MISSING = CITIES_NEVER | {QIANXINAN}


async def year_rewards(year: Year) -> None:
    run, api = year.run, year.api
    for kind, amount in (("designation", "5000000"), ("sales_milestone", "2000000"),
                         ("traffic_subsidy", "1000000")):  # fmt: skip
        await api.call("PUT", "awards", f"/v1/reward-budgets/{PROGRAMME}/{YEAR}/{kind}", api.province(),
                       json_body={"amount": amount})  # fmt: skip
    park, never = year.project("park"), year.project(f"enterprise-{LIUPANSHUI}")
    guiyang = year.project(f"enterprise-{GUIYANG}")

    async def propose(reward_id: str, project: Project) -> dict[str, Any]:
        return await api.post("awards", "/v1/rewards/proposals", api.province(),
                              {"programme_id": PROGRAMME, "reward_id": reward_id, "year": YEAR,
                               "entity_type": project.entity_type, "entity_id": project.entity_id})  # fmt: skip

    park_designation = await propose("park-designation", park)
    never_designation = await propose("enterprise-designation", never)
    # 核算: the sales milestones and the traffic subsidy from the accepted reports
    runs = {}
    for reward_id in ("sales-1-billion", "traffic-subsidy"):
        runs[reward_id] = await until_value(
            lambda reward_id=reward_id: api.post("awards", "/v1/rewards/proposal-runs", api.province(),
                                                 {"programme_id": PROGRAMME, "reward_id": reward_id,
                                                  "year": YEAR}),
            lambda answer: bool(answer.get("proposed")),
            what=f"{reward_id}: proposals from accepted reports",
        )  # fmt: skip
    rewards = await api.pages(
        "awards", "/v1/rewards", api.province(), programme_id=PROGRAMME, year=YEAR
    )
    by_key = {(r["reward_id"], r["entity_id"]): r for r in rewards}
    milestone = by_key[("sales-1-billion", park.entity_id)]
    subsidy = by_key[("traffic-subsidy", guiyang.entity_id)]
    assert Decimal(milestone["max_amount"]) == Decimal("1000000")
    # 2.5亿 of physical goods: 25,000 full units of 1万元 at 5元
    assert Decimal(subsidy["max_amount"]) == Decimal("125000"), subsidy
    assert subsidy["report_id"] and subsidy["working"], subsidy
    assert (
        "traffic-subsidy",
        year.project(f"enterprise-{ZUNYI}").entity_id,
    ) not in by_key  # not listed

    approved = {}
    for award, amount in (
        (park_designation, "3000000"),
        (milestone, "1000000"),
        (subsidy, "125000"),
    ):
        approved[award["id"]] = await api.post("awards", f"/v1/rewards/{award['id']}/approval",
                                               api.province(), {"amount": amount})  # fmt: skip
    requests = await year.events.wait(
        "awards.payment",
        lambda es: len(of_type(es, "awards.payment.requested.v1")) == 3,
        what="three payment requests for finance",
    )
    for request in of_type(requests, "awards.payment.requested.v1"):
        data = request["data"]
        assert data["payee_entity_id"] in {park.operator.enterprise_id, guiyang.entity_id}, data
        assert data["payee_credit_code"] == guiyang.operator.credit_code, data
        answer = await api.finance_callback(
            {"outcome": "settled", "award_id": data["award_id"],
             "idempotency_key": data["idempotency_key"], "attempt": data["attempt"],
             "amount": data["amount"], "reference": f"GZCZ-{data['award_id'][:8]}"}
        )  # fmt: skip
        assert answer.json().get("recorded", True) is True, answer.text
    for award_id in approved:
        reward = await until_value(
            lambda award_id=award_id: api.get("awards", f"/v1/rewards/{award_id}", api.province()),
            lambda r: r["status"] == "settled",
            what=f"reward {award_id} settled",
        )
        assert "settled" in [e["kind"] for e in reward["entries"]], reward
    assert never_designation["status"] == "proposed", never_designation
    year.never_reward_id = never_designation["id"]

    # Tuesday 15 December: the grace period is over; a first report now is refused.
    await run.advance_to(at(GRACE_UNTIL_ON + dt.timedelta(days=1)))
    refused = await api.call(
        "POST", "submissions", f"/v1/windows/{WINDOW}/reports/{never.designation_id}/versions",
        never.operator.token(api), json_body={"figures": never.figures}, expect=409,
    )  # fmt: skip
    assert refused.json()["reason"] == "past_grace", refused.text


async def year_evaluation(year: Year) -> None:
    run, api = year.run, year.api
    never = [p for p in year.projects if p.reports == "never"]
    kept = [p for p in year.projects if p.reports != "never"]

    # Thursday 17 December, 00:00: the window locks; the evaluation warns the missing ones.
    # Each designation's workflow evaluates at the lock twice over: its own timer is due then,
    # and awards' consumer signals it when ``submissions.window.locked`` arrives. A signal
    # that lands while that timer is due cancels a timer that has just fired; Temporal's
    # server drops the buffered firing, but the time-skipping test server refuses the workflow
    # task ("invalid history builder state for action", temporalio/sdk-java#3088) and never
    # hands it out again, so the run hangs there and the skip times out. Awards' consumer is
    # therefore down while the lock passes (a redeploy, as far as the services can tell): the
    # timers evaluate, then the consumer catches up and its signals find the year evaluated.
    run.stop("awards", "consumer")
    await run.advance_to(at(LOCKS_ON + dt.timedelta(days=1)))
    locked = await year.events.wait(
        "submissions.window",
        lambda es: bool(of_type(es, "submissions.window.locked.v1")),
        what="the window locked",
    )
    assert of_type(locked, "submissions.window.locked.v1")[0]["data"]["missing"] == len(never)
    await until_value(
        lambda: api.pages("awards", "/v1/designations/standing", api.province(),
                          programme_id=PROGRAMME, year=YEAR),
        lambda items: len(items) == len(year.projects)
        and all(s["year"] == YEAR and s["standing"] is not None for s in items),
        what="every designation evaluated at its own timer",
    )  # fmt: skip
    run.start("awards", "consumer")
    warned = await year.events.wait(
        "awards.designation",
        lambda es: len(of_type(es, "awards.designation.warned.v1")) == len(never),
        what="the warnings",
    )
    for event in of_type(warned, "awards.designation.warned.v1"):
        assert event["data"]["designation_id"] in {p.designation_id for p in never}
        assert event["data"]["rectify_by"] == RECTIFY_BY.isoformat(), event
        assert event["data"]["legal_basis"].startswith("黔商发〔2023〕1号")
    standing = await api.pages("awards", "/v1/designations/standing", api.province(),
                               programme_id=PROGRAMME, year=YEAR)  # fmt: skip
    by_designation = {s["id"]: s for s in standing}
    assert {p.designation_id for p in never} == {
        d for d, s in by_designation.items() if s["standing"] == "warning"
    }, standing
    for project in never:
        if project.entity_type == "enterprise":
            inbox = await until_value(
                lambda project=project: api.inbox(project.operator.token(api)),
                lambda items: any(i["kind"] == "designation_warned" for i in items),
                what=f"{project.key}: warned",
            )
            warning = next(i for i in inbox if i["kind"] == "designation_warned")
            assert f"{YEAR}年12月20日" in warning["body"], warning["body"]  # RECTIFY_BY
        await until_value(
            lambda project=project: api.inbox(api.city(project.city)),
            lambda items: any(i["kind"] == "designation_warned" for i in items),
            what=f"{project.city}: its project warned",
        )

    # Monday 21 December, 00:00: the rectification period ended without a report: revoked.
    await run.advance_to(at(REVOKED_ON))
    revoked = await year.events.wait(
        "awards.designation",
        lambda es: len(of_type(es, "awards.designation.revoked.v1")) == len(never),
        what="the revocations",
    )
    for event in of_type(revoked, "awards.designation.revoked.v1"):
        assert event["data"]["revoked_on"] == REVOKED_ON.isoformat(), event
    designations = await api.pages("awards", "/v1/designations", api.province(), programme_id=PROGRAMME,
                                   year=YEAR)  # fmt: skip
    status = {d["id"]: d["status"] for d in designations}
    assert {p.designation_id for p in never} == {d for d, s in status.items() if s == "revoked"}

    async def designated_enterprises() -> set[str]:
        items = await api.pages("registry", "/v1/enterprises", api.province(), designated="true",
                                programme_id=PROGRAMME)  # fmt: skip
        return {i["id"] for i in items}

    still = {p.entity_id for p in kept if p.entity_type == "enterprise"}
    await until_value(designated_enterprises, lambda s: s == still,
                      what="registry: revoked enterprises no longer designated")  # fmt: skip
    progress = await api.get("registry", f"/v1/programmes/{PROGRAMME}/progress", api.province(),
                             params={"by": "city"})  # fmt: skip
    current = {t["id"]: t["current"] for t in progress["targets"]}
    assert current == {
        "designated-parks": "1", "designated-live-bases": "1",
        "leading-enterprises-and-live-teams": "7", "leading-enterprises": "6", "live-teams": "1",
    }, current  # fmt: skip
    leading = next(t for t in progress["targets"] if t["id"] == "leading-enterprises")
    assert {a["region_code"] for a in leading["by_area"] if a["current"] != "0"} == (
        set(GUIZHOU_CITIES) - CITIES_NEVER
    )

    # The unpaid reward of a revoked designation is voided (reward_policy.on_revocation).
    voided = await until_value(
        lambda: api.get("awards", f"/v1/rewards/{year.never_reward_id}", api.province()),
        lambda r: r["status"] == "voided",
        what="the revoked project's unpaid reward voided",
    )
    assert voided["entity_id"] == year.project(f"enterprise-{LIUPANSHUI}").entity_id

    # The operators are told (inbox and e-mail).
    for project in (p for p in never if p.entity_type == "enterprise"):
        inbox = await until_value(
            lambda project=project: api.inbox(project.operator.token(api)),
            lambda items: any(i["kind"] == "designation_revoked" for i in items),
            what=f"{project.key}: revocation notice",
        )
        notice = next(i for i in inbox if i["kind"] == "designation_revoked")
        assert notice["recipient_enterprise"] == project.entity_id
        await until_value(
            lambda project=project: mail_to(run, project.operator.email),
            lambda messages: any("撤销" in text_of(m) or "取消" in text_of(m) for m in messages),
            what=f"{project.key}: revocation e-mail",
        )

    # Temporal: a revoked designation's workflow waited for the lock, warned, waited out the
    # rectification period and revoked; one in good standing was evaluated once.
    gone = await history_types(run, f"awards-designation-{never[0].designation_id}")
    assert gone["EVENT_TYPE_TIMER_FIRED"] + gone["EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"] >= 2, (
        gone
    )
    assert gone["EVENT_TYPE_MARKER_RECORDED"] + gone["EVENT_TYPE_ACTIVITY_TASK_COMPLETED"] >= 2, (
        gone
    )
    clock = await history_types(run, f"submissions-window-clock-{WINDOW}")
    assert clock["EVENT_TYPE_TIMER_FIRED"] >= 6, clock
