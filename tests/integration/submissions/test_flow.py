"""The report's flow on real PostgreSQL and Kafka: submit (on time by the first submission),
city return with field comments, resubmit, recommend, province accept; versions and diff;
refusals that say why; events relayed to Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import pytest
from fastapi.testclient import TestClient

from shared.db.pool import create_pool
from shared.messaging.kafka import create_producer
from shared.messaging.relay import OutboxRelay
from tests.integration.submissions.conftest import PROGRAMME, WINDOW, Clock, cst, window_id
from tests.support.kafka import envelope_of, read_topic
from tests.support.languages import wholly_chinese, wholly_english
from tests.support.stack import Stack

W = window_id(2025)
FIGURES = {
    "online_retail_sales": "1200000.50",
    "physical_goods_online_retail_sales": "800000",
    "workers": 35,
}
Auth = Callable[..., dict[str, str]]


def reporter(auth: Auth, entity: str) -> dict[str, str]:
    return auth("operator", None, enterprise_ids=[entity], subject=f"user-{entity}")


@pytest.fixture(scope="module", autouse=True)
def opened(api: TestClient, auth: Auth, designate: Callable[..., int], clock: Clock) -> None:
    for designation, region in (("D1", "520102"), ("D2", "520103"), ("D3", "520302")):
        designate(designation, region=region, at=cst(2025, 6, 1))
    clock.now = cst(2025, 11, 1, 9)
    response = api.post(
        "/v1/windows",
        json={"programme_id": PROGRAMME, "window": WINDOW, "year": 2025},
        headers=auth(),
    )
    assert response.status_code == 201, response.text
    assert response.json()["due_at"] == "2025-12-10T16:00:00Z"


def test_opening_twice_is_a_conflict_and_only_the_province_opens(
    api: TestClient, auth: Auth
) -> None:
    body = {"programme_id": PROGRAMME, "window": WINDOW, "year": 2025}
    assert api.post("/v1/windows", json=body, headers=auth()).status_code == 409
    city = api.post("/v1/windows", json=body, headers=auth("city_bureau", "520100"))
    assert city.status_code == 403
    assert api.get(f"/v1/windows/{W}", headers=auth()).json()["status"] == "open"
    roster = api.get(f"/v1/windows/{W}/roster", headers=auth()).json()
    assert [e["designation_id"] for e in roster["items"]] == ["D1", "D2", "D3"]
    assert roster["next_cursor"] is None
    assert [[c["kind"] for c in e["changes"]] for e in roster["items"]] == [["frozen"]] * 3


def test_flow_submit_return_resubmit_recommend_accept(
    api: TestClient, auth: Auth, clock: Clock
) -> None:
    base = f"/v1/windows/{W}/reports/D1"
    clock.now = cst(2025, 12, 10, 23, 59, 59)  # the last on-time second (15:59:59Z)
    first = api.post(f"{base}/versions", json={"figures": FIGURES}, headers=reporter(auth, "E-D1"))
    assert first.status_code == 201, first.text
    assert first.json()["on_time"] is True and first.json()["version"] == 1

    city = auth("city_bureau", "520100")
    clock.now = cst(2025, 12, 11, 10)
    returned = api.post(
        f"{base}/city-review",
        json={"decision": "return", "field_comments": {"workers": "请核实从业人员数"}},
        headers=city,
    )
    assert returned.status_code == 200, returned.text
    assert returned.json()["state"] == "returned_to_reporter"

    clock.now = cst(2025, 12, 12, 9)  # late, but the first submission decided: on time
    again = api.post(
        f"{base}/versions",
        json={"figures": {**FIGURES, "workers": 40}},
        headers=reporter(auth, "E-D1"),
    )
    assert again.status_code == 201, again.text
    assert again.json()["version"] == 2 and again.json()["on_time"] is True

    etag = api.get(base, headers=city).headers["ETag"]
    stale = api.post(
        f"{base}/city-review", json={"decision": "recommend"}, headers={**city, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    recommended = api.post(
        f"{base}/city-review", json={"decision": "recommend"}, headers={**city, "If-Match": etag}
    )
    assert recommended.json()["state"] == "recommended"
    undo = api.post(
        f"{base}/city-review",
        json={"decision": "return", "field_comments": {"workers": "x"}},
        headers=city,
    )
    assert undo.status_code == 409 and undo.json()["reason"] == "step_out_of_order"

    accepted = api.post(f"{base}/province-review", json={"decision": "accept"}, headers=auth())
    assert accepted.json()["state"] == "accepted"
    refused = api.post(
        f"{base}/versions", json={"figures": FIGURES}, headers=reporter(auth, "E-D1")
    )
    assert refused.status_code == 409
    assert refused.json()["reason"] == "already_accepted"
    assert refused.json()["errors"][0]["field"] == "state"

    versions = api.get(f"{base}/versions", headers=city).json()["items"]
    assert [v["number"] for v in versions] == [1, 2]
    diff = api.get(f"{base}/diff", params={"from": 1, "to": 2}, headers=city).json()
    assert diff == [{"field": "workers", "before": 35, "after": 40}]
    steps = api.get(base, headers=city).json()["steps"]
    assert [s["action"] for s in steps] == [
        "submit",
        "city_return",
        "submit",
        "city_recommend",
        "province_accept",
    ]
    assert steps[1]["field_comments"] == {"workers": "请核实从业人员数"}


def test_province_waits_for_the_city_and_the_city_submits_on_behalf(
    api: TestClient, auth: Auth, clock: Clock
) -> None:
    clock.now = cst(2025, 12, 11, 0, 0, 0)  # the first late instant (16:00:00Z)
    city = auth("city_bureau", "520100", subject="guiyang-clerk")
    entered = api.post(
        f"/v1/windows/{W}/reports/D2/versions", json={"figures": FIGURES}, headers=city
    )
    assert entered.status_code == 201, entered.text
    assert entered.json()["on_time"] is False
    version = api.get(f"/v1/windows/{W}/reports/D2/versions", headers=city).json()["items"][0]
    assert version["on_behalf"] is True and version["submitted_by"] == "guiyang-clerk"
    early = api.post(
        f"/v1/windows/{W}/reports/D2/province-review", json={"decision": "accept"}, headers=auth()
    )
    assert early.status_code == 409
    assert "须先经市（州）商务主管部门审核" in early.json()["detail"]
    assert wholly_chinese(early.json()["detail"])


def test_refusals_name_the_field_and_the_reason(api: TestClient, auth: Auth, clock: Clock) -> None:
    clock.now = cst(2025, 12, 5, 10)
    url = f"/v1/windows/{W}/reports/D3/versions"
    me = reporter(auth, "E-D3")
    cases = {
        "unknown_indicator": ({"no_such_figure": 1}, "no_such_figure"),
        "wrong_type": ({"online_retail_sales": 12.5}, "online_retail_sales"),
        "out_of_bounds": ({"online_retail_sales": "-1"}, "online_retail_sales"),
        "wrong_unit": (
            {"online_retail_sales": {"value": "1", "unit": "count"}},
            "online_retail_sales",
        ),
        "cross_check": (
            {"online_retail_sales": "10", "physical_goods_online_retail_sales": "11"},
            "physical_goods_online_retail_sales",
        ),
        "required": ({"workers": 3}, "online_retail_sales"),
    }
    for code, (figures, field) in cases.items():
        response = api.post(url, json={"figures": figures}, headers=me)
        assert response.status_code == 422, (code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert any(
            e["type"] == code and e["field"] == f"body.figures.{field}"
            for e in response.json()["errors"]
        ), (code, response.json())
        # The detail and each error's message are wholly Chinese, or wholly English on en.
        chinese = response.json()
        assert wholly_chinese(chinese["detail"]), chinese["detail"]
        assert all(wholly_chinese(e["message"]) for e in chinese["errors"]), chinese
        english = api.post(
            url, json={"figures": figures}, headers={**me, "Accept-Language": "en"}
        ).json()
        assert wholly_english(english["detail"]), english["detail"]
        assert all(wholly_english(e["message"]) for e in english["errors"]), english
    missing = api.post(
        f"/v1/windows/{W}/reports/NOPE/versions", json={"figures": {}}, headers=auth()
    )
    assert missing.status_code == 404
    naive = api.post(
        f"/v1/windows/{W}/extensions",
        json={
            "designation_id": "D3",
            "reason": "系统故障",
            "requested_due_at": "2025-12-20T00:00:00",
        },
        headers=me,
    )
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "body.requested_due_at"


def test_a_repeated_post_with_the_same_idempotency_key_creates_one_version(
    api: TestClient, auth: Auth, clock: Clock
) -> None:
    clock.now = cst(2025, 12, 6, 10)
    headers = {**reporter(auth, "E-D3"), "Idempotency-Key": "d3-first-report"}
    url = f"/v1/windows/{W}/reports/D3/versions"
    first = api.post(url, json={"figures": FIGURES}, headers=headers)
    second = api.post(url, json={"figures": FIGURES}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    # The bytes the route sent are the bytes stored with the key and replayed.
    assert second.headers["idempotent-replayed"] == "true" and second.content == first.content
    for header in ("location", "etag", "content-type"):
        assert second.headers[header] == first.headers[header]
    assert first.headers["location"] == f"/v1/windows/{W}/reports/D3/versions/1"
    located = api.get(first.headers["location"], headers=auth())
    assert located.status_code == 200 and located.json()["number"] == 1
    assert api.get(f"{url}/2", headers=auth()).status_code == 404
    assert api.get(f"{url}/1", headers=reporter(auth, "E-D1")).status_code == 404
    assert len(api.get(f"/v1/windows/{W}/reports/D3/versions", headers=auth()).json()["items"]) == 1


def test_extensions_locks_and_reopening(api: TestClient, auth: Auth, clock: Clock) -> None:
    clock.now = cst(2025, 12, 8, 10)
    zunyi = auth("city_bureau", "520300")
    asked = api.post(
        f"/v1/windows/{W}/extensions",
        json={"designation_id": "D3", "reason": "财务数据尚未审计"},
        headers=zunyi,
    )
    assert asked.status_code == 201, asked.text
    extension = asked.json()["id"]
    self_grant = api.post(
        f"/v1/windows/{W}/extensions/{extension}/grant",
        json={"new_due_at": "2025-12-20T00:00:00+08:00"},
        headers=zunyi,
    )
    assert self_grant.status_code == 403
    granted = api.post(
        f"/v1/windows/{W}/extensions/{extension}/grant",
        json={"new_due_at": "2025-12-20T00:00:00+08:00", "reason": "同意"},
        headers=auth(),
    )
    assert granted.json()["status"] == "granted"
    twice = api.post(
        f"/v1/windows/{W}/extensions/{extension}/refuse", json={"reason": "不同意"}, headers=auth()
    )
    assert twice.status_code == 409 and twice.json()["reason"] == "already_decided"

    clock.now = cst(2026, 1, 2, 10)  # after the lock (end of 31 December)
    late = api.post(
        f"/v1/windows/{W}/reports/D2/city-review",
        json={"decision": "return", "field_comments": {"workers": "补正"}},
        headers=auth("city_bureau", "520100"),
    )
    assert late.status_code == 200
    locked = api.post(
        f"/v1/windows/{W}/reports/D2/versions",
        json={"figures": FIGURES},
        headers=reporter(auth, "E-D2"),
    )
    assert locked.status_code == 409 and locked.json()["reason"] == "locked"
    # A deep refusal: the rule's own words, wholly Chinese by default, wholly English on request.
    assert locked.json()["detail"] == "填报窗口已于2026年1月1日 00:00:00（北京时间）锁定"
    assert wholly_chinese(locked.json()["detail"])
    assert locked.json()["errors"][0]["message"] == locked.json()["detail"]
    english = api.post(
        f"/v1/windows/{W}/reports/D2/versions",
        json={"figures": FIGURES},
        headers={**reporter(auth, "E-D2"), "Accept-Language": "en"},
    )
    assert english.json()["detail"] == "the window locked at 2026-01-01 00:00:00 +08:00"
    assert wholly_english(english.json()["detail"])
    reopened = api.post(
        f"/v1/windows/{W}/reopenings",
        json={"designation_id": "D2", "reason": "补报", "ends_at": "2026-01-05T00:00:00+08:00"},
        headers=auth(),
    )
    assert reopened.status_code == 201, reopened.text
    taken = api.post(
        f"/v1/windows/{W}/reports/D2/versions",
        json={"figures": FIGURES},
        headers=reporter(auth, "E-D2"),
    )
    assert taken.status_code == 201, taken.text


def test_completeness_and_its_xlsx(api: TestClient, auth: Auth, clock: Clock) -> None:
    clock.now = cst(2025, 12, 20, 10)
    whole = api.get(f"/v1/windows/{W}/completeness", headers=auth()).json()
    province = whole["province"]
    assert (province["expected"], province["submitted"], province["accepted"]) == (3, 3, 1)
    assert province["on_time"] == 2 and province["late"] == 1
    assert [c["region_code"] for c in whole["cities"]] == ["520100", "520300"]
    zunyi = api.get(f"/v1/windows/{W}/completeness", headers=auth("city_bureau", "520300")).json()
    assert zunyi["province"] is None
    assert [c["region_code"] for c in zunyi["cities"]] == ["520300"]
    early = api.get(
        f"/v1/windows/{W}/completeness",
        params={"as_of": "2025-12-01T00:00:00+08:00"},
        headers=auth("city_bureau", "520100"),
    ).json()
    assert early["missing_by_bureau"] == {
        "520100": ["D1", "D2"],
        "520102": ["D1"],
        "520103": ["D2"],
    }
    sheet = api.get(f"/v1/windows/{W}/completeness.xlsx", headers=auth())
    assert sheet.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(sheet.content))
    assert book.sheetnames == ["省级", "市州", "区县", "未报名单"]
    rows = list(book["市州"].values)
    assert rows[1][:3] == ("地区代码", "应报", "已报")
    assert rows[2][0] == "520100" and "北京时间" in rows[0][1]


def test_scope_a_bureau_sees_its_region_a_reporter_its_own(api: TestClient, auth: Auth) -> None:
    zunyi = auth("city_bureau", "520300")
    hidden = api.get(f"/v1/windows/{W}/reports/D1", headers=zunyi)
    assert hidden.status_code == 404
    assert "E-D1" not in hidden.text and "520102" not in hidden.text
    act = api.post(
        f"/v1/windows/{W}/reports/D2/city-review", json={"decision": "recommend"}, headers=zunyi
    )
    assert act.status_code == 404
    listed = api.get(f"/v1/windows/{W}/reports", headers=zunyi).json()["items"]
    assert [r["designation_id"] for r in listed] == ["D3"]
    other = reporter(auth, "E-D3")
    assert api.get(f"/v1/windows/{W}/reports/D1", headers=other).status_code == 404
    assert api.get(f"/v1/windows/{W}/reports/D1/versions", headers=other).status_code == 404
    assert [
        r["designation_id"]
        for r in api.get(f"/v1/windows/{W}/reports", headers=other).json()["items"]
    ] == ["D3"]
    county = auth("county_bureau", "520102")
    assert api.get(f"/v1/windows/{W}/reports/D1", headers=county).status_code == 200
    assert (
        api.post(
            f"/v1/windows/{W}/extensions",
            json={"designation_id": "D1", "reason": "x"},
            headers=county,
        ).status_code
        == 403
    )
    roster = api.get(f"/v1/windows/{W}/roster", headers=zunyi).json()
    assert [e["designation_id"] for e in roster["items"]] == ["D3"]


def test_state_and_events_commit_together_and_reach_kafka(
    submissions_db: str, stack: Stack, topic_prefix: str
) -> None:
    async def run() -> tuple[list[str], list[str]]:
        pool = await create_pool(submissions_db, min_size=1, max_size=2)
        producer = create_producer(stack.kafka_bootstrap)
        await producer.start()
        try:
            types = [
                r["event_type"]
                for r in await pool.fetch(
                    "SELECT event_type FROM outbox WHERE topic = $1 ORDER BY id",
                    f"{topic_prefix}submissions.report",
                )
            ]
            versions = await pool.fetchval("SELECT count(*) FROM report_versions")
            submitted = types.count("submissions.report.submitted.v1")
            assert submitted == versions
            await OutboxRelay(pool=pool, producer=producer, dsn=submissions_db).drain()
        finally:
            await producer.stop()
            await pool.close()
        records = await read_topic(
            stack.kafka_bootstrap, f"{topic_prefix}submissions.report", expected=len(types)
        )
        return types, [envelope_of(r)["type"] for r in records]

    in_outbox, in_kafka = asyncio.run(run())
    assert sorted(in_kafka) == sorted(in_outbox)  # one each; order holds per report (key)
    assert {
        "submissions.report.accepted.v1",
        "submissions.report.returned.v1",
        "submissions.report.recommended.v1",
    } <= set(in_kafka)


def test_versions_are_immutable_in_the_database(submissions_db: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(submissions_db)
        try:
            with pytest.raises(asyncpg.RaiseError, match="immutable"):
                await connection.execute("UPDATE report_versions SET figures = '{}'")
        finally:
            await connection.close()

    asyncio.run(run())


def test_each_change_leaves_one_audit_record_in_its_transaction(submissions_db: str) -> None:
    async def run() -> dict[str, int]:
        connection = await asyncpg.connect(submissions_db)
        try:
            rows = await connection.fetch(
                "SELECT action, count(*) AS n FROM audit_log WHERE kind = 'change' GROUP BY action"
            )
            versions = await connection.fetchval("SELECT count(*) FROM report_versions")
            steps = await connection.fetchval("SELECT count(*) FROM review_steps")
        finally:
            await connection.close()
        counts = {row["action"]: row["n"] for row in rows}
        assert counts["report.submitted"] == versions
        reviews = sum(n for action, n in counts.items() if action.startswith("report."))
        assert reviews == steps  # one audit record per step, submissions included
        return counts

    counts = asyncio.run(run())
    assert counts["window.opened"] == 1 and counts["window.reopened"] == 1
    assert counts["extension.requested"] == 1 and counts["extension.granted"] == 1
