"""The province's rewards routes and finance's signed callback: budgets, a proposal with its
working, an approval that reserves and requests payment once (Idempotency-Key), the ledger, a
bad signature refused as a 401 problem, a repeated callback recorded once, audit records."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest

from awards.api.app import create_app
from awards.config import AwardsSettings
from awards.domain.rewards.signatures import SIGNATURE_HEADER, sign
from tests.integration.awards.conftest import PROGRAMMES
from tests.support.languages import wholly_chinese, wholly_english
from tests.support.stack import Stack

from .rewards_support import GUIZHOU, accepted_report, budget, listed_enterprise

SECRET = "finance-shared-secret"
PROVINCE = dict(roles=["province_admin"], region_code="520000", subject="gz-finance-desk")


@pytest.fixture
async def client(
    stack: Stack, awards_db: str, awards_pool: asyncpg.Pool, signing_keys: tuple[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = AwardsSettings(
        environment="test",
        database_url=awards_db,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        temporal_target=stack.temporal_target,
        jwt_public_key=signing_keys[1],
        programmes_dir=PROGRAMMES,
        finance_callback_secret=SECRET,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://awards") as http:
            yield http


def auth(token_for: Callable[..., str], key: str | None = None, **claims: Any) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token_for(**(claims or PROVINCE))}",
        "Idempotency-Key": key or str(uuid.uuid4()),
    }


async def test_propose_approve_and_pay_through_the_api(
    client: httpx.AsyncClient, awards_pool: asyncpg.Pool, token_for: Callable[..., str]
) -> None:
    async with awards_pool.acquire() as connection:
        await listed_enterprise(connection, "ent-a", basis=Decimal("2.5e8"))
    budget = await client.put(
        f"/v1/reward-budgets/{GUIZHOU}/2024/traffic_subsidy",
        json={"amount": "200000.00"},
        headers=auth(token_for),
    )
    assert budget.status_code == 200, budget.text
    city = auth(token_for, roles=["city_bureau"], region_code="520300", subject="zunyi")
    body = {
        "programme_id": GUIZHOU, "reward_id": "traffic-subsidy", "entity_type": "enterprise",
        "entity_id": "ent-a", "year": 2024,
    }  # fmt: skip
    assert (await client.post("/v1/rewards/proposals", json=body, headers=city)).status_code == 403
    proposed = await client.post("/v1/rewards/proposals", json=body, headers=auth(token_for))
    assert proposed.status_code == 201, proposed.text
    award = proposed.json()
    assert award["max_amount"] == "125000.00"
    assert award["working"]["inputs"]["basis"]["report_version"] == 1
    assert award["working"]["source"] == "004_9c19d9a85d8c1f73.txt 四、保障措施（二）3"

    key = str(uuid.uuid4())
    path = f"/v1/rewards/{award['id']}/approval"
    first = await client.post(path, json={"amount": "100000"}, headers=auth(token_for, key))
    assert first.status_code == 200, first.text
    replay = await client.post(path, json={"amount": "100000"}, headers=auth(token_for, key))
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json() == first.json()
    again = await client.post(path, json={"amount": "100000"}, headers=auth(token_for))
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    result = {
        "outcome": "settled", "award_id": award["id"], "attempt": 1, "amount": "100000.00",
        "idempotency_key": first.json()["idempotency_key"], "reference": "GZCZ-2025-0001",
    }  # fmt: skip
    raw = json.dumps(result).encode()
    forged = await client.post(
        "/callbacks/finance/payment-results",
        content=raw,
        headers={SIGNATURE_HEADER: sign("not-the-secret", raw), "content-type": "application/json"},
    )
    assert forged.status_code == 401
    assert forged.headers["content-type"].startswith("application/problem+json")
    signed = {SIGNATURE_HEADER: sign(SECRET, raw), "content-type": "application/json"}
    answers = [
        (
            await client.post("/callbacks/finance/payment-results", content=raw, headers=signed)
        ).json()
        for _ in range(2)
    ]
    assert [answer["recorded"] for answer in answers] == [True, False]

    ledger = await client.get(
        "/v1/rewards", params={"programme_id": GUIZHOU, "year": 2024}, headers=auth(token_for)
    )
    assert ledger.status_code == 200
    (listed,) = ledger.json()["items"]
    assert listed["status"] == "settled"  # as finance's answer and the entry say
    earlier_word = await client.get(
        "/v1/rewards",
        params={"programme_id": GUIZHOU, "year": 2024, "status": "paid"},
        headers=auth(token_for),
    )
    assert [item["id"] for item in earlier_word.json()["items"]] == [listed["id"]]
    assert [e["kind"] for e in listed["entries"]] == [
        "proposed", "reserved", "payment_requested", "settled",
    ]  # fmt: skip
    budgets = await client.get(f"/v1/reward-budgets/{GUIZHOU}", headers=auth(token_for))
    assert budgets.json()[0] == {
        "programme_id": GUIZHOU, "year": 2024, "kind": "traffic_subsidy", "amount": "200000.00",
        "reserved": "0.00", "paid": "100000.00", "left": "100000.00",
    }  # fmt: skip
    one = await client.get(
        f"/v1/reward-budgets/{GUIZHOU}/2024/traffic_subsidy", headers=auth(token_for)
    )
    assert one.json() == budgets.json()[0]
    shrink = await client.put(
        f"/v1/reward-budgets/{GUIZHOU}/2024/traffic_subsidy",
        json={"amount": "99999.99"},
        headers={**auth(token_for), "If-Match": one.headers["ETag"]},
    )
    assert shrink.status_code == 409
    async with awards_pool.acquire() as connection:
        actions = {
            row["action"]
            for row in await connection.fetch("SELECT action FROM audit_log WHERE kind = 'change'")
        }
    assert {"set_budget", "propose_reward", "approve_reward", "payment_settled"} <= actions


async def test_an_ineligible_proposal_says_why(
    client: httpx.AsyncClient, awards_pool: asyncpg.Pool, token_for: Callable[..., str]
) -> None:
    async with awards_pool.acquire() as connection:
        await listed_enterprise(connection, "ent-small", basis=Decimal("99999999.99"))
    body = {
        "programme_id": GUIZHOU, "reward_id": "traffic-subsidy", "entity_type": "enterprise",
        "entity_id": "ent-small", "year": 2024,
    }  # fmt: skip
    refused = await client.post("/v1/rewards/proposals", json=body, headers=auth(token_for))
    assert refused.status_code == 422
    # A deep refusal (the subsidy rule's): wholly Chinese by default, wholly English on request.
    assert "低于100000000" in refused.json()["detail"]
    assert wholly_chinese(refused.json()["detail"])
    english = await client.post(
        "/v1/rewards/proposals",
        json=body,
        headers={**auth(token_for), "Accept-Language": "en"},
    )
    assert "below 100000000" in english.json()["detail"]
    assert wholly_english(english.json()["detail"])


async def test_a_yearly_run_proposes_every_reporter_and_adjusts_corrections(
    client: httpx.AsyncClient, awards_pool: asyncpg.Pool, token_for: Callable[..., str]
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 2_000_000)
        await listed_enterprise(connection, "ent-big", basis=Decimal("3e9"))
        await listed_enterprise(connection, "ent-small", basis=Decimal("5e7"))
    body = {"programme_id": GUIZHOU, "reward_id": "traffic-subsidy", "year": 2024}
    first = await client.post("/v1/rewards/proposal-runs", json=body, headers=auth(token_for))
    assert first.status_code == 200, first.text
    run = first.json()
    assert [p["entity_id"] for p in run["proposed"]] == ["ent-big"]
    assert run["not_eligible"][0]["entity_id"] == "ent-small"
    paid = await client.post(
        f"/v1/rewards/{run['proposed'][0]['award_id']}/approval",
        json={"amount": "1000000"}, headers=auth(token_for),
    )  # fmt: skip
    assert paid.status_code == 200, paid.text
    async with awards_pool.acquire() as connection:
        await accepted_report(  # ent-big's report corrected down to 1.5亿: 75,000 instead of 1,000,000
            connection, "ent-big", version=2,
            physical_goods_online_retail_sales=Decimal("1.5e8"),
        )  # fmt: skip
    second = (
        await client.post("/v1/rewards/proposal-runs", json=body, headers=auth(token_for))
    ).json()
    (adjustment,) = second["proposed"]
    found = await client.get(f"/v1/rewards/{adjustment['award_id']}", headers=auth(token_for))
    assert (found.json()["kind"], found.json()["max_amount"], found.json()["status"]) == (
        "traffic_subsidy_adjustment", "-925000.00", "recovery_due",
    )  # fmt: skip
    third = (
        await client.post("/v1/rewards/proposal-runs", json=body, headers=auth(token_for))
    ).json()
    assert third["proposed"] == [] and third["already"][0]["entity_id"] == "ent-big"


async def test_a_blocking_credit_record_refuses_the_approval_with_its_reason(
    client: httpx.AsyncClient, awards_pool: asyncpg.Pool, token_for: Callable[..., str]
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 100_000)
        await listed_enterprise(connection, "ent-a", basis=Decimal("1e8"))
    body = {
        "programme_id": GUIZHOU, "reward_id": "traffic-subsidy", "entity_type": "enterprise",
        "entity_id": "ent-a", "year": 2024,
    }  # fmt: skip
    award = (await client.post("/v1/rewards/proposals", json=body, headers=auth(token_for))).json()
    record = {
        "record_id": "cr-9", "entity_id": "ent-a", "kind": "serious_violation",
        "valid_from": "2024-01-01", "source_document": "信用中国（贵州）2025-031",
    }  # fmt: skip
    integrator = auth(token_for, roles=["integrator"], subject="credit", grants=["write"])
    assert (
        await client.post("/v1/credit-records", json=record, headers=integrator)
    ).status_code == 201
    refused = await client.post(
        f"/v1/rewards/{award['id']}/approval", json={"amount": "50000"}, headers=auth(token_for)
    )
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "payment_blocked"
    assert "严重违法失信" in problem["detail"] and "2025-031" in problem["detail"]
    assert wholly_chinese(problem["detail"])
    assert problem["records"] == ["cr-9"]


async def test_money_owed_back_is_recorded_through_the_api(
    client: httpx.AsyncClient, awards_pool: asyncpg.Pool, token_for: Callable[..., str]
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        await listed_enterprise(connection, "ent-r", basis=Decimal("3e8"))
    body = {
        "programme_id": GUIZHOU, "reward_id": "traffic-subsidy", "entity_type": "enterprise",
        "entity_id": "ent-r", "year": 2024,
    }  # fmt: skip
    award = (await client.post("/v1/rewards/proposals", json=body, headers=auth(token_for))).json()
    approved = await client.post(
        f"/v1/rewards/{award['id']}/approval", json={"amount": "150000"}, headers=auth(token_for)
    )
    result = {
        "outcome": "settled", "award_id": award["id"], "attempt": 1, "amount": "150000.00",
        "idempotency_key": approved.json()["idempotency_key"], "reference": "GZCZ-2025-0009",
    }  # fmt: skip
    raw = json.dumps(result).encode()
    signed = {SIGNATURE_HEADER: sign(SECRET, raw), "content-type": "application/json"}
    await client.post("/callbacks/finance/payment-results", content=raw, headers=signed)
    async with awards_pool.acquire() as connection:
        await accepted_report(  # corrected down to 2亿: 50,000 owed back
            connection, "ent-r", version=2, physical_goods_online_retail_sales=Decimal("2e8"),
        )  # fmt: skip
    owed = (await client.post("/v1/rewards/proposals", json=body, headers=auth(token_for))).json()
    assert (owed["status"], owed["recovery_outstanding"]) == ("recovery_due", "50000.00")

    path = f"/v1/rewards/{owed['id']}/recoveries"
    back = {"amount": "20000", "reference": "GZ-JK-0001", "reason": "企业退回"}
    city = auth(token_for, roles=["city_bureau"], region_code="520300", subject="zunyi")
    # Not the city's to see: answered as an award that does not exist (never 403, which
    # would confirm the id names one).
    assert (await client.post(path, json=back, headers=city)).status_code == 404
    too_much = await client.post(path, json={**back, "amount": "60000"}, headers=auth(token_for))
    assert too_much.status_code == 422 and "50000.00" in too_much.json()["detail"]
    key = str(uuid.uuid4())
    first = await client.post(path, json=back, headers=auth(token_for, key))
    assert first.status_code == 200, first.text
    assert (first.json()["recovered"], first.json()["recovery_outstanding"]) == (
        "20000.00", "30000.00",
    )  # fmt: skip
    replay = await client.post(path, json=back, headers=auth(token_for, key))
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json() == first.json()
    same_receipt = await client.post(path, json=back, headers=auth(token_for))
    assert same_receipt.status_code == 409
    assert same_receipt.headers["content-type"].startswith("application/problem+json")
    # The rest comes back through finance's signed callback (twice: recorded once).
    reversed_ = {
        "outcome": "reversed", "award_id": award["id"], "attempt": 1, "amount": "30000.00",
        "idempotency_key": approved.json()["idempotency_key"], "reference": "GZ-JK-0002",
    }  # fmt: skip
    raw = json.dumps(reversed_).encode()
    signed = {SIGNATURE_HEADER: sign(SECRET, raw), "content-type": "application/json"}
    answers = [
        (await client.post("/callbacks/finance/payment-results", content=raw, headers=signed))
        for _ in range(2)
    ]
    assert [a.json().get("recorded") for a in answers] == [True, False], answers[0].text
    last = await client.get(f"/v1/rewards/{owed['id']}", headers=auth(token_for))
    assert (last.json()["status"], last.json()["recovery_outstanding"]) == ("recovered", "0.00")
    assert [e["kind"] for e in last.json()["entries"]][-2:] == ["reversed", "reversed"]
    budgets = await client.get(f"/v1/reward-budgets/{GUIZHOU}", headers=auth(token_for))
    assert budgets.json()[0]["paid"] == "100000.00"
    async with awards_pool.acquire() as connection:
        audited = await connection.fetch(
            "SELECT action FROM audit_log WHERE kind = 'change' "
            "AND action IN ('record_recovery', 'payment_reversed')"
        )
    assert sorted(row["action"] for row in audited) == ["payment_reversed", "record_recovery"]


@pytest.mark.parametrize(
    ("path", "first", "second"),
    [
        (
            f"/v1/reward-budgets/{GUIZHOU}/2031/sales_milestone",
            {"amount": "1000.00"},
            {"amount": "2000.00"},
        ),
        (
            "/v1/experts/etag-{unique}",
            {"name": "专家甲", "region_code": "520100"},
            {"name": "专家乙", "region_code": "520100"},
        ),
        (
            "/v1/reward-facts/enterprises/etag-{unique}/statistics-years/2031",
            {"in_statistics_list": True},
            {"in_statistics_list": False},
        ),
    ],
)
async def test_a_put_replaces_only_the_version_named_by_a_strong_if_match(
    client: httpx.AsyncClient,
    token_for: Callable[..., str],
    path: str,
    first: dict[str, Any],
    second: dict[str, Any],
) -> None:
    path = path.format(unique=uuid.uuid4().hex[:12])
    headers = auth(token_for)
    read = await client.get(path, headers=headers)
    if read.status_code == 404:  # a creation needs no If-Match, and fails with one
        named = await client.put(path, json=first, headers={**headers, "If-Match": '"x"'})
        assert named.status_code == 412, named.text
        created = await client.put(path, json=first, headers=headers)
        assert created.status_code in (200, 204), created.text
        read = await client.get(path, headers=headers)
        assert created.headers["ETag"] == read.headers["ETag"]
    assert read.status_code == 200, read.text
    current = read.headers["ETag"]
    missing = await client.put(path, json=second, headers=headers)
    assert missing.status_code == 428, missing.text
    for stale in (f"W/{current}", '"stale"'):
        refused = await client.put(path, json=second, headers={**headers, "If-Match": stale})
        assert refused.status_code == 412, (stale, refused.text)
        assert refused.headers["ETag"] == current
    replaced = await client.put(path, json=second, headers={**headers, "If-Match": current})
    assert replaced.status_code in (200, 204), replaced.text
    after = await client.get(path, headers=headers)
    assert after.headers["ETag"] == replaced.headers["ETag"] != current


async def test_what_waits_for_a_bureau_is_paged_not_cut_off(
    client: httpx.AsyncClient, awards_pool: asyncpg.Pool, token_for: Callable[..., str]
) -> None:
    from awards.db import queries

    inserted = []
    async with awards_pool.acquire() as connection:
        for i in range(5):
            ident = uuid.uuid4()
            await connection.execute(
                queries.INSERT_APPLICATION, ident, f"wf-{ident}", GUIZHOU, 2025, "enterprise",
                "enterprise", f"ent-{i}", f"企业{i}", "520302", f"ent-{i}", {}, "op",
                dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
            )  # fmt: skip
            inserted.append(str(ident))
    city = dict(roles=["city_bureau"], region_code="520300", subject="zunyi")
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await client.get(
            "/v1/applications/waiting", params=params, headers=auth(token_for, **city)
        )
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(inserted) and len(seen) == 5  # newest first, none twice


async def settle_through_finance(client: httpx.AsyncClient, approved: dict[str, Any]) -> None:
    result = {
        "outcome": "settled", "award_id": approved["id"], "attempt": 1,
        "idempotency_key": approved["idempotency_key"], "reference": f"GZCZ-{approved['id']}",
    }  # fmt: skip
    raw = json.dumps(result).encode()
    signed = {SIGNATURE_HEADER: sign(SECRET, raw), "content-type": "application/json"}
    answer = await client.post("/callbacks/finance/payment-results", content=raw, headers=signed)
    assert answer.status_code == 200, answer.text


async def test_the_remainder_is_requested_or_waived_by_the_province_once(
    client: httpx.AsyncClient, awards_pool: asyncpg.Pool, token_for: Callable[..., str]
) -> None:
    async with awards_pool.acquire() as connection:
        await budget(connection, "traffic_subsidy", 1_000_000)
        for entity in ("ent-rest", "ent-waive"):
            await listed_enterprise(connection, entity, basis=Decimal("2.5e8"))  # 125,000 each
    awards = {}
    for entity in ("ent-rest", "ent-waive"):
        body = {
            "programme_id": GUIZHOU, "reward_id": "traffic-subsidy", "entity_type": "enterprise",
            "entity_id": entity, "year": 2024,
        }  # fmt: skip
        proposed = await client.post("/v1/rewards/proposals", json=body, headers=auth(token_for))
        awards[entity] = proposed.json()["id"]
    path = f"/v1/rewards/{awards['ent-rest']}/remainder"
    request = {"decision": "request", "reason": "预算追加后拨付余额"}
    approved = await client.post(
        f"/v1/rewards/{awards['ent-rest']}/approval", json={"amount": "100000"},
        headers=auth(token_for),
    )  # fmt: skip
    early = await client.post(path, json=request, headers=auth(token_for))
    assert early.status_code == 409, early.text
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["code"] == "remainder_not_settled"
    await settle_through_finance(client, approved.json())

    other_province = auth(token_for, roles=["province_admin"], region_code="630000", subject="qh")
    city = auth(token_for, roles=["city_bureau"], region_code="520300", subject="zunyi")
    for outsider in (other_province, city):
        refused = await client.post(path, json=request, headers=outsider)
        assert refused.status_code == 404  # as absent: never confirms the award exists
        assert "ent-rest" not in refused.text and "125000" not in refused.text
        read = await client.get(f"/v1/rewards/{awards['ent-rest']}", headers=outsider)
        assert read.status_code == 404 and "ent-rest" not in read.text

    key = str(uuid.uuid4())
    first = await client.post(path, json=request, headers=auth(token_for, key))
    assert first.status_code == 200, first.text
    replay = await client.post(path, json=request, headers=auth(token_for, key))
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json() == first.json()
    shown = first.json()
    assert (shown["approved"], shown["remaining"]) == ("100000.00", "25000.00")
    assert shown["remainder"]["status"] == "requested"
    assert shown["remainder"]["reason"] == "预算追加后拨付余额"
    rest_id = shown["remainder"]["award_id"]
    rest = (await client.get(f"/v1/rewards/{rest_id}", headers=auth(token_for))).json()
    assert (rest["kind"], rest["adjusts"], rest["max_amount"], rest["status"]) == (
        "traffic_subsidy_remainder", awards["ent-rest"], "25000.00", "proposed",
    )  # fmt: skip
    assert rest["idempotency_key"] == f"{approved.json()['idempotency_key']}:remainder"
    rest_path = f"/v1/rewards/{rest_id}/approval"
    over = await client.post(rest_path, json={"amount": "25000.01"}, headers=auth(token_for))
    assert over.status_code == 422
    paid = await client.post(rest_path, json={"amount": "25000"}, headers=auth(token_for))
    assert paid.status_code == 200 and paid.json()["status"] == "payment_requested", paid.text
    twice = await client.post(
        path, json={"decision": "waive", "reason": "改为放弃"}, headers=auth(token_for)
    )
    assert twice.status_code == 409 and twice.json()["code"] == "remainder_decided"

    waive_path = f"/v1/rewards/{awards['ent-waive']}/remainder"
    full = await client.post(
        f"/v1/rewards/{awards['ent-waive']}/approval", json={"amount": "125000"},
        headers=auth(token_for),
    )  # fmt: skip
    await settle_through_finance(client, full.json())
    nothing = await client.post(
        waive_path, json={"decision": "waive", "reason": "x"}, headers=auth(token_for)
    )
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_remains"
    bad = await client.post(
        waive_path, json={"decision": "pay", "reason": "x"}, headers=auth(token_for)
    )
    assert bad.status_code == 422
    async with awards_pool.acquire() as connection:
        audited = await connection.fetch(
            "SELECT action, resource_id, details FROM audit_log WHERE kind = 'change' "
            "AND action LIKE '%remainder%'"
        )
    assert [(row["action"], row["resource_id"]) for row in audited] == [
        ("request_reward_remainder", awards["ent-rest"]),
    ]
    assert audited[0]["details"]["remainder_award_id"] == rest_id
