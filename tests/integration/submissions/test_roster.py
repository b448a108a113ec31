"""The frozen roster: designations granted and revoked mid-window change the denominator,
each change kept; completeness never passes 100 %. Designation events arrive through Kafka
into the consumer role's handlers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from fastapi.testclient import TestClient

from shared.db.pool import create_pool
from shared.events import EventEnvelope, default_catalog, wrap
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
)
from shared.messaging.consumer import ConsumerSettings, IdempotentConsumer
from shared.messaging.kafka import create_consumer, create_producer
from submissions.consumers.designations import TOPICS, handlers
from submissions.handlers.common import Context
from tests.integration.submissions.conftest import PROGRAMME, WINDOW, Clock, cst, window_id
from tests.support.languages import wholly_chinese, wholly_english
from tests.support.polling import until
from tests.support.stack import Stack

W = window_id(2025)
FIGURES = {"online_retail_sales": "100", "physical_goods_online_retail_sales": "60", "workers": 3}
Auth = Callable[..., dict[str, str]]


def counts(api: TestClient, auth: Auth, as_of: dt.datetime) -> dict[str, int]:
    response = api.get(
        f"/v1/windows/{W}/completeness", params={"as_of": as_of.isoformat()}, headers=auth()
    )
    return response.json()["province"]


@pytest.fixture(scope="module", autouse=True)
def opened(api: TestClient, auth: Auth, designate: Callable[..., int], clock: Clock) -> None:
    for designation, region in (("A", "520102"), ("B", "520103"), ("C", "520302")):
        designate(designation, region=region, at=cst(2025, 6, 1))
    designate("X", region="520102", at=cst(2025, 6, 1))
    designate("X", region="520102", at=cst(2025, 7, 1), revoke=True)  # revoked before opening
    clock.now = cst(2025, 11, 1, 0, 0)
    opened = api.post(
        "/v1/windows",
        json={"programme_id": PROGRAMME, "window": WINDOW, "year": 2025},
        headers=auth(),
    )
    assert opened.status_code == 201, opened.text


async def _roster_audit(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT action, count(*) AS n FROM audit_log WHERE action LIKE 'roster.%' GROUP BY 1"
        )
    finally:
        await connection.close()
    return {row["action"]: row["n"] for row in rows}


def test_the_denominator_follows_grants_and_revocations_mid_window(
    api: TestClient,
    auth: Auth,
    designate: Callable[..., int],
    clock: Clock,
    submissions_db: str,
) -> None:
    clock.now = cst(2025, 11, 5, 10)
    for designation in ("A", "B"):
        submitted = api.post(
            f"/v1/windows/{W}/reports/{designation}/versions",
            json={"figures": FIGURES},
            headers=auth("operator", None, enterprise_ids=[f"E-{designation}"]),
        )
        assert submitted.status_code == 201, submitted.text
    assert designate("B", region="520103", at=cst(2025, 11, 20, 9), revoke=True) == 1
    assert designate("B", region="520103", at=cst(2025, 11, 20, 9), revoke=True) == 0
    assert designate("D", region="520102", at=cst(2025, 11, 25, 9)) == 1
    assert designate("Q", region="630102", at=cst(2025, 11, 25, 9), programme="other") == 0

    before = counts(api, auth, cst(2025, 11, 10))
    assert (before["expected"], before["submitted"], before["missing"]) == (3, 2, 1)
    after = counts(api, auth, cst(2025, 12, 1))
    assert (after["expected"], after["submitted"], after["missing"]) == (3, 1, 2)
    assert after["submitted_rate"] == "33.33"

    roster = api.get(f"/v1/windows/{W}/roster", headers=auth()).json()["items"]
    kinds = {e["designation_id"]: [c["kind"] for c in e["changes"]] for e in roster}
    assert kinds == {
        "A": ["frozen"],
        "B": ["frozen", "removed"],
        "C": ["frozen"],
        "D": ["added"],
    }
    audited = asyncio.run(_roster_audit(submissions_db))
    assert audited == {"roster.removed": 1, "roster.added": 1}  # redelivery: no second record
    late = next(e for e in roster if e["designation_id"] == "D")
    # Guizhou: 30 days after the grant (25 November) -> due at the end of 25 December, CST.
    assert late["due_at"] == "2025-12-25T16:00:00Z"

    clock.now = cst(2025, 11, 21, 10)
    gone = api.post(
        f"/v1/windows/{W}/reports/B/versions",
        json={"figures": FIGURES},
        headers=auth("operator", None, enterprise_ids=["E-B"]),
    )
    assert gone.status_code == 409 and gone.json()["reason"] == "not_expected"
    assert "认定已撤销" in gone.json()["detail"] and wholly_chinese(gone.json()["detail"])
    english = api.post(
        f"/v1/windows/{W}/reports/B/versions",
        json={"figures": FIGURES},
        headers={**auth("operator", None, enterprise_ids=["E-B"]), "Accept-Language": "en"},
    )
    assert "designation revoked" in english.json()["detail"]
    assert wholly_english(english.json()["detail"])


def test_designation_events_from_kafka_reach_the_roster(
    stack: Stack, topic_prefix: str, submissions_db: str, context: Context
) -> None:
    async def run() -> int:
        event = DesignationGranted(
            designation_id="K1",
            programme_id=PROGRAMME,
            category="team",
            entity_type="team",
            entity_id="T-K1",
            region_code="520302",
            designated_on=dt.date(2025, 12, 1),
        )
        envelope = wrap(event, source="/services/awards", occurred_at=cst(2025, 12, 1, 10))
        pool = await create_pool(submissions_db, min_size=1, max_size=2)
        query = "SELECT count(*) FROM roster_changes WHERE designation_id = 'K1'"
        try:

            async def applied() -> bool:
                return bool(await pool.fetchval(query))

            await consume_twice(stack, topic_prefix, pool, context, b"K1", [envelope], applied)
            return int(await pool.fetchval(query))
        finally:
            await pool.close()

    assert asyncio.run(run()) == 1


def test_a_reinstated_designation_is_expected_again_from_that_moment(
    api: TestClient,
    auth: Auth,
    designate: Callable[..., int],
    context: Context,
    submissions_db: str,
) -> None:
    assert "awards.designation.reinstated" in handlers(context)
    before = counts(api, auth, cst(2025, 12, 2))
    # B was revoked on 20 November after submitting; X before the window opened.
    assert designate("B", region="520103", at=cst(2025, 12, 3, 9), reinstate=True) == 1
    assert designate("B", region="520103", at=cst(2025, 12, 3, 9), reinstate=True) == 0
    assert designate("X", region="520102", at=cst(2025, 12, 3, 9), reinstate=True) == 1
    # a rectification in time reinstates a designation never removed: nothing changes
    assert designate("A", region="520102", at=cst(2025, 12, 3, 9), reinstate=True) == 0

    after = counts(api, auth, cst(2025, 12, 5))
    assert after["expected"] == before["expected"] + 2
    assert after["submitted"] == before["submitted"] + 1  # B's report from before counts again
    assert after["submitted"] <= after["expected"]
    assert float(after["submitted_rate"]) <= 100
    roster = api.get(f"/v1/windows/{W}/roster", headers=auth()).json()["items"]
    entries = [e for e in roster if e["designation_id"] in ("B", "X")]
    last = [(e["designation_id"], e["changes"][-1]["kind"], e["changes"][-1]["reason"])
            for e in entries]  # fmt: skip
    assert last == [("B", "added", "reinstated: 整改到位"), ("X", "added", "reinstated: 整改到位")]
    assert [c["kind"] for c in entries[0]["changes"]] == ["frozen", "removed", "added"]
    assert len(entries) == 2 and all(e["expected_until"] is None for e in entries)
    # Guizhou: 30 days after the reinstatement (3 December) -> end of 2 January, CST.
    assert {e["due_at"] for e in entries} == {"2026-01-02T16:00:00Z"}

    async def in_force() -> list[str]:
        connection = await asyncpg.connect(submissions_db)
        try:
            rows = await connection.fetch(
                "SELECT designation_id FROM designations WHERE revoked_on IS NULL "
                "AND designation_id IN ('B', 'X') ORDER BY 1"
            )
        finally:
            await connection.close()
        return [row["designation_id"] for row in rows]

    assert asyncio.run(in_force()) == ["B", "X"]  # next year's roster freezes them again


def test_a_grant_revocation_and_reinstatement_from_kafka_apply_in_key_order(
    stack: Stack, topic_prefix: str, submissions_db: str, context: Context
) -> None:
    common = {
        "designation_id": "K2",
        "programme_id": PROGRAMME,
        "category": "team",
        "entity_type": "team",
        "entity_id": "T-K2",
        "region_code": "520302",
    }
    events = [
        (DesignationGranted(**common, designated_on=dt.date(2025, 12, 1)), cst(2025, 12, 1, 10)),
        (
            DesignationRevoked(**common, revoked_on=dt.date(2025, 12, 2), reason="重大违法"),
            cst(2025, 12, 2, 10),
        ),
        (
            DesignationReinstated(
                **common,
                reinstated_on=dt.date(2025, 12, 3),
                by="province",
                reason="复核撤销处罚",
                reinstated_by="u-province",
            ),
            cst(2025, 12, 3, 10),
        ),
    ]

    async def run() -> list[tuple[str, str | None]]:
        pool = await create_pool(submissions_db, min_size=1, max_size=2)
        query = "SELECT kind, reason FROM roster_changes WHERE designation_id = 'K2' ORDER BY id"
        envelopes = [wrap(event, source="/services/awards", occurred_at=at) for event, at in events]
        try:

            async def applied() -> bool:
                return len(await pool.fetch(query)) >= 3

            await consume_twice(stack, topic_prefix, pool, context, b"K2", envelopes, applied)
            entry = await pool.fetchrow(
                "SELECT expected_until FROM roster_entries WHERE designation_id = 'K2'"
            )
            assert entry is not None and entry["expected_until"] is None
            return [(row["kind"], row["reason"]) for row in await pool.fetch(query)]
        finally:
            await pool.close()

    assert asyncio.run(run()) == [
        ("added", None),
        ("removed", "重大违法"),
        ("added", "reinstated: 复核撤销处罚"),
    ]


async def consume_twice(
    stack: Stack,
    topic_prefix: str,
    pool: asyncpg.Pool,
    context: Context,
    key: bytes,
    envelopes: list[EventEnvelope],
    applied: Callable[[], Awaitable[bool]],
) -> None:
    """Each envelope sent twice under ``key`` (the inbox makes the second harmless), then the
    consumer role's handlers run until ``applied`` holds (polled, 30 s at most)."""
    producer = create_producer(stack.kafka_bootstrap)
    await producer.start()
    topic = f"{topic_prefix}{TOPICS[0]}"
    try:
        for envelope in envelopes:
            for _ in range(2):
                await producer.send_and_wait(topic, envelope.model_dump_json().encode(), key=key)
        kafka_consumer = create_consumer(
            topic, bootstrap_servers=stack.kafka_bootstrap, group_id=f"{topic_prefix}submissions"
        )
        await kafka_consumer.start()
        consumer = IdempotentConsumer(
            settings=ConsumerSettings(name="submissions", topic_prefix=topic_prefix),
            pool=pool,
            consumer=kafka_consumer,
            dead_letter_producer=producer,
            catalog=default_catalog(),
            handlers=handlers(context),
        )
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop))
        try:
            await until(applied, seconds=30, interval=0.2, message="the events were not applied")
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            await kafka_consumer.stop()
    finally:
        await producer.stop()
