"""Rewards paid once, under the same faults: some reporters report sales that earn the traffic
subsidy (流量补贴, docs/rewards.md); their city bureau recommends and the province accepts the
reports, sets the year's budget and their 上规入统 fact, runs the subsidy's 核算 and approves
each award. The finance system is played here as finance plays it: it reads
``awards.payment.requested`` from Kafka, pays each idempotency key once (a repeated request gets
the first answer again) and answers ``finance.payment.settled`` on ``finance.payment``.

Checked: every award settled, one settled entry each, finance paid each key once, the budget's
paid amount the sum of the awards and nothing left reserved.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer

from shared.events.envelope import wrap
from shared.events.rewards import PaymentSettled
from shared.messaging.kafka import create_producer
from tests.chaos.checks import Findings
from tests.chaos.load import RETRIED_STATUSES
from tests.chaos.programme import ChaosProgramme
from tests.chaos.seed import CONTENT_TYPE, Reporter, Tokens

log = logging.getLogger("chaos")

REWARD = "traffic-subsidy"
KIND = "traffic_subsidy"
# 实物商品网络零售额 of 2亿: 5 yuan per full 1万 → 100,000 yuan each (below the 100万 cap).
FIGURES = {
    "online_retail_sales": "250000000.00",
    "physical_goods_online_retail_sales": "200000000.00",
    "live_sessions": 300,
    "workers": 120,
}
FINANCE_SOURCE = "/ecom/chaos-finance"


class Api:
    """One call, retried like the reporters' clients: the same Idempotency-Key until a final
    answer."""

    def __init__(self, session: aiohttp.ClientSession, give_up_after: float = 600) -> None:
        self.session = session
        self.give_up_after = give_up_after
        self.retried: Counter[str] = Counter()

    async def call(
        self,
        method: str,
        url: str,
        token: str,
        body: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        deadline = time.monotonic() + self.give_up_after
        delay = 0.3
        while True:
            try:
                async with self.session.request(method, url, json=body, headers=headers) as answer:
                    text = await answer.text()
                    in_progress = answer.status == 409 and "request_in_progress" in text
                    if answer.status not in RETRIED_STATUSES and not in_progress:
                        return answer.status, json.loads(text) if text else None
                    self.retried[f"HTTP {answer.status}"] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.retried[type(exc).__name__] += 1
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {url}: no final answer")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


@dataclass
class Finance:
    """The finance system's side of the payment protocol."""

    bootstrap: str
    requests: Counter[str] = field(default_factory=Counter)  # idempotency key -> requests
    paid: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # key -> award, amount, ref
    answers: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            "awards.payment",
            bootstrap_servers=self.bootstrap,
            group_id="chaos-finance",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        producer = create_producer(self.bootstrap, client_id="chaos-finance")
        await consumer.start()
        await producer.start()
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        envelope = json.loads(record.value or b"{}")
                        if not str(envelope.get("type", "")).startswith("awards.payment.requested"):
                            continue
                        data = envelope["data"]
                        key = data["idempotency_key"]
                        self.requests[key] += 1
                        if key not in self.paid:  # a key is paid once
                            self.paid[key] = (
                                data["award_id"],
                                data["amount"],
                                f"FIN-{uuid.uuid4().hex[:12]}",
                            )
                        award_id, amount, reference = self.paid[key]
                        answer = PaymentSettled(
                            award_id=award_id,
                            idempotency_key=key,
                            attempt=int(data["attempt"]),
                            amount=amount,
                            reference=reference,
                        )
                        await producer.send_and_wait(
                            answer.topic,
                            value=wrap(answer, source=FINANCE_SOURCE)
                            .model_dump_json(exclude_none=True)
                            .encode(),
                            key=award_id.encode(),
                            headers=[("content-type", CONTENT_TYPE)],
                        )
                        self.answers += 1
                if batches:
                    await consumer.commit()
        finally:
            await consumer.stop()
            await producer.stop()


@dataclass
class RewardRun:
    approved: dict[str, Decimal] = field(default_factory=dict)  # award id -> amount
    not_eligible: list[dict[str, str]] = field(default_factory=list)
    retried: Counter[str] = field(default_factory=Counter)


def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=30),
        connector=aiohttp.TCPConnector(limit=8, force_close=True),
    )


async def reward_flow(
    base_urls: dict[str, str],
    programme: ChaosProgramme,
    rewarded: Sequence[Reporter],
    tokens: Tokens,
    acknowledged: dict[str, str],
    result: RewardRun,
) -> None:
    """Review and accept the reports, then 核算 and approve; each step retried until final."""
    async with _session() as session:
        api = Api(session)
        api.retried = result.retried
        province = tokens.province()
        submissions = base_urls["submissions"]
        awards = base_urls["awards"]
        window = f"{submissions}/v1/windows/{programme.window_id}/reports"

        async def review(reporter: Reporter) -> None:
            await review_and_accept(api, window, reporter, tokens, province, acknowledged)
            status, body = await api.call(
                "PUT",
                f"{awards}/v1/reward-facts/enterprises/{reporter.entity_id}/statistics-years/{programme.year}",
                province,
                {"in_statistics_list": True},
            )
            if status != 200:
                raise RuntimeError(f"statistics fact of {reporter.entity_id}: {status} {body}")

        for batch in range(0, len(rewarded), 8):
            await asyncio.gather(*(review(r) for r in rewarded[batch : batch + 8]))
        status, body = await api.call(
            "PUT",
            f"{awards}/v1/reward-budgets/{programme.programme_id}/{programme.year}/{KIND}",
            province,
            {"amount": "100000000.00"},
        )
        if status != 200:
            raise RuntimeError(f"budget: {status} {body}")
        # The accepted reports reach awards through its consumer: 核算 again until all are in.
        wanted = {r.entity_id for r in rewarded}
        deadline = time.monotonic() + 600
        rounds = 0
        while True:
            rounds += 1
            status, body = await api.call(
                "POST", f"{awards}/v1/rewards/proposal-runs", province,
                {"programme_id": programme.programme_id, "reward_id": REWARD, "year": programme.year},
                key=f"proposal-run-{rounds}",
            )  # fmt: skip
            if status not in (200, 201):
                raise RuntimeError(f"proposal run: {status} {body}")
            done = {p["entity_id"] for p in body["proposed"] + body["already"]}
            result.not_eligible = body["not_eligible"]
            if wanted <= done:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"proposals for {len(wanted - done)} entities never came")
            await asyncio.sleep(2)
        awards_of = await _list_rewards(api, awards, province, programme)
        for award in awards_of:
            if award["entity_id"] not in wanted or award["kind"] != KIND:
                continue
            amount = Decimal(str(award["max_amount"]))
            status, body = await api.call(
                "POST", f"{awards}/v1/rewards/{award['id']}/approval", province,
                {"amount": f"{amount:.2f}"}, key=f"approve-{award['id']}",
            )  # fmt: skip
            if status not in (200, 201):
                raise RuntimeError(f"approval of {award['id']}: {status} {body}")
            result.approved[award["id"]] = amount


async def _list_rewards(
    api: Api, awards: str, token: str, programme: ChaosProgramme
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"programme_id={programme.programme_id}&year={programme.year}&limit=500"
        if cursor:
            query += f"&cursor={cursor}"
        status, body = await api.call("GET", f"{awards}/v1/rewards?{query}", token)
        if status != 200:
            raise RuntimeError(f"rewards list: {status} {body}")
        items += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return items


async def settled(awards: str, token: str, run: RewardRun) -> object:
    """True once every approved award is settled (for the run's settling)."""
    async with _session() as session:
        api = Api(session)
        for award_id in run.approved:
            status, body = await api.call("GET", f"{awards}/v1/rewards/{award_id}", token)
            if status != 200 or body["status"] != "settled":
                return f"award {award_id}: {body.get('status') if body else status}"
    return True


async def paid_once(
    findings: Findings,
    awards: str,
    token: str,
    programme: ChaosProgramme,
    run: RewardRun,
    finance: Finance,
    rewarded: int,
) -> None:
    settled_entries: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    async with _session() as session:
        api = Api(session)
        for award_id in run.approved:
            status, body = await api.call("GET", f"{awards}/v1/rewards/{award_id}", token)
            if status != 200:
                findings.fail(f"award {award_id}: {status} {body}")
                continue
            statuses[body["status"]] += 1
            settled_entries[award_id] = sum(1 for e in body["entries"] if e["kind"] == "settled")
        status, budgets = await api.call(
            "GET", f"{awards}/v1/reward-budgets/{programme.programme_id}", token
        )
    budget = next(
        (b for b in budgets or [] if b["kind"] == KIND and b["year"] == programme.year), None
    )
    total = sum(run.approved.values(), Decimal(0))
    repeats = sum(n - 1 for n in finance.requests.values())
    findings.say(
        f"rewards: {len(run.approved)} traffic subsidies approved for {rewarded} reporters "
        f"({total} yuan), statuses {dict(statuses)}; finance saw {sum(finance.requests.values())} "
        f"payment requests ({repeats} repeats) for {len(finance.requests)} keys, paid "
        f"{len(finance.paid)}, answered {finance.answers} times; budget {budget}; the "
        f"province's calls retried: {dict(run.retried) or 'none'}"
    )
    if len(run.approved) != rewarded:
        findings.fail(
            f"{rewarded - len(run.approved)} rewarded reporters got no award: {run.not_eligible[:3]}"
        )
    twice = {a: n for a, n in settled_entries.items() if n != 1}
    if twice:
        findings.fail(f"awards without exactly one settled entry: {twice}")
    if statuses.get("settled", 0) != len(run.approved):
        findings.fail(f"awards not settled: {dict(statuses)}")
    if len(finance.paid) != len(run.approved):
        findings.fail(f"finance paid {len(finance.paid)} keys for {len(run.approved)} awards")
    if budget is None:
        findings.fail("no traffic-subsidy budget in the ledger")
    elif Decimal(str(budget.get("paid"))) != total or Decimal(str(budget.get("reserved"))) != 0:
        findings.fail(
            f"budget paid {budget.get('paid')}, reserved {budget.get('reserved')}; awards {total}"
        )


async def review_and_accept(
    api: Api,
    window: str,
    reporter: Reporter,
    tokens: Tokens,
    province: str,
    acknowledged: Mapping[str, str],
) -> None:
    """Once its report is acknowledged, the reporter's city recommends it and the province
    accepts it, each call retried with a key of its own."""
    while reporter.designation_id not in acknowledged:
        await asyncio.sleep(0.5)
    city = tokens.mint(
        subject=f"city-{reporter.region_code[:4]}",
        roles=["city_bureau"],
        region_code=reporter.region_code[:4] + "00",
    )
    for path, token, decision, key in (
        ("city-review", city, "recommend", "city"),
        ("province-review", province, "accept", "province"),
    ):
        status, body = await api.call(
            "POST", f"{window}/{reporter.designation_id}/{path}", token,
            {"decision": decision}, key=f"{key}-{reporter.designation_id}",
        )  # fmt: skip
        if status not in (200, 201):
            raise RuntimeError(f"{path} of {reporter.designation_id}: {status} {body}")
