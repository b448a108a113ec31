"""The sender drains the ledger against loopback receivers: a down endpoint retries with
backoff then fails (dead letter) without holding up others; robots are paced at 20 a minute
(queued, never dropped); a throttled robot is held for ten minutes while others go on."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import ipaddress
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import asyncpg
import httpx
import pytest

from notifications.bootstrap import build_channels
from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR, queries
from notifications.db.repository import NewDelivery, insert_delivery
from notifications.sender import Sender
from shared.db.pool import create_pool
from tests.integration.notifications.fakes import Receiver, loopback_receiver
from tests.support import polling
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with loopback_receiver() as fake:
        yield fake


@pytest.fixture
async def pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    dsn = await migrated_database(stack, "notifications", MIGRATIONS_DIR)
    pool = await create_pool(dsn, min_size=1, max_size=8)
    try:
        yield pool
    finally:
        await pool.close()
        await drop_database(stack, dsn)


async def queue(
    pool: asyncpg.Pool, channel: str, address: str, count: int, *, secret: str | None = None
) -> list[uuid.UUID]:
    recipient = uuid.uuid4()
    ids = []
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO recipients (id, region_code, role, name, channel, address, secret, source)"
            " VALUES ($1, '520100', 'city_bureau', 'x', $2, $3, $4, 'api')",
            recipient,
            channel,
            address,
            secret,
        )
        for n in range(count):
            delivery = uuid.uuid4()
            ids.append(delivery)
            await insert_delivery(
                connection,
                NewDelivery(
                    id=delivery,
                    event_id=f"event-{n}",
                    recipient_key=f"recipient:{recipient}",
                    channel=channel,
                    recipient_id=recipient,
                    region_code="520100",
                    role="city_bureau",
                    kind="deadline_reminder",
                    subject_type="window",
                    subject_id="w",
                    title="【年报提醒】",
                    body="### 提醒\n- E1",
                    payload={"designation_ids": ["E1"]},
                    not_before=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),  # due at once
                ),
            )
    return ids


async def until(
    condition: Callable[[], Awaitable[bool]], sender: Sender, seconds: float = 30
) -> None:
    """Run sender rounds until ``condition`` holds (or fail after ``seconds``), then drain."""
    await polling.until(
        lambda: _or_round(condition, sender),
        seconds=seconds,
        interval=0.05,
        message="condition not reached in time",
    )
    await sender.drain()


async def _or_round(condition: Callable[[], Awaitable[bool]], sender: Sender) -> bool:
    if await condition():
        return True
    await sender.round()
    return False


async def statuses(pool: asyncpg.Pool, ids: list[uuid.UUID]) -> list[str]:
    rows = await pool.fetch("SELECT status FROM deliveries WHERE id = ANY($1) ORDER BY id", ids)
    return [row["status"] for row in rows]


def make_sender(pool: asyncpg.Pool, client: httpx.AsyncClient, **options: float) -> Sender:
    settings = NotificationsSettings(environment="test", database_url="postgresql://x@y/z")
    return Sender(
        pool,
        build_channels(settings, client),
        max_attempts=3,
        retry_initial=0.05,
        retry_max=0.2,
        **{"allow_private": True, **options},  # type: ignore[arg-type]
    )


async def test_a_down_endpoint_retries_then_fails_without_delaying_others(
    pool: asyncpg.Pool, receiver: Receiver
) -> None:
    receiver.failing_paths["/hook/down"] = 503
    good = await queue(
        pool, "webhook", f"{receiver.base_url}/hook/good", 5, secret=receiver.webhook_secret
    )
    down = await queue(pool, "webhook", f"{receiver.base_url}/hook/down", 2, secret="s" * 8)
    async with httpx.AsyncClient(timeout=5) as client:
        sender = make_sender(pool, client)
        await sender.round()
        await sender.drain()
        assert await statuses(pool, good) == ["delivered"] * 5  # first round, down or not
        await until(lambda: _all(pool, down, "failed"), sender)
    history = await pool.fetch(
        "SELECT outcome, http_status FROM delivery_attempts WHERE delivery_id = $1", down[0]
    )
    assert [(row["outcome"], row["http_status"]) for row in history] == [("retry", 503)] * 3
    reason = await pool.fetchval("SELECT reason FROM deliveries WHERE id = $1", down[0])
    assert "503" in reason


async def _all(pool: asyncpg.Pool, ids: list[uuid.UUID], status: str) -> bool:
    return set(await statuses(pool, ids)) == {status}


async def test_an_endpoint_that_never_answers_holds_only_its_own_slots(
    pool: asyncpg.Pool, receiver: Receiver
) -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accepts the request and never answers

    blackhole = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = blackhole.sockets[0].getsockname()[1]
    try:
        stuck = await queue(pool, "webhook", f"http://127.0.0.1:{port}/hook", 10, secret="s" * 8)
        good = await queue(
            pool, "webhook", f"{receiver.base_url}/hook/beside", 4, secret=receiver.webhook_secret
        )
        async with httpx.AsyncClient(timeout=4) as client:
            sender = make_sender(pool, client, concurrency=4, per_endpoint=2)
            started = time.monotonic()
            await polling.until(
                lambda: _or_round(lambda: _all(pool, good, "delivered"), sender),
                seconds=3.5,
                interval=0.05,
                message="the good endpoint's messages were not all delivered in time",
            )
            # all four delivered while the silent endpoint still held its two slots
            assert time.monotonic() - started < 4
            assert set(await statuses(pool, stuck)) == {"queued"}
            await sender.drain()
    finally:
        blackhole.close()


async def test_a_round_claims_its_free_slots_ahead_and_a_drain_hands_them_back(
    pool: asyncpg.Pool, receiver: Receiver
) -> None:
    ids = await queue(
        pool, "webhook", f"{receiver.base_url}/hook/ahead", 12, secret=receiver.webhook_secret
    )
    async with httpx.AsyncClient(timeout=5) as client:
        sender = make_sender(pool, client, concurrency=4, per_endpoint=4)
        assert await sender.round() == 4
        # Four sending, four more leased here for the next free slots: four left for anyone.
        assert await due(pool, ids) == 4
        await sender.drain()
    found = await statuses(pool, ids)
    assert (found.count("delivered"), found.count("queued")) == (4, 8)
    assert await due(pool, ids) == 8  # what was claimed ahead: anyone's again, not leased


async def due(pool: asyncpg.Pool, ids: list[uuid.UUID]) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM deliveries WHERE id = ANY($1) AND status = 'queued'"
            " AND not_before <= now() AND (leased_until IS NULL OR leased_until <= now())",
            ids,
        )
    )


async def test_a_lease_and_its_release_rewrite_no_index_of_the_ledger(pool: asyncpg.Pool) -> None:
    """Leasing a delivery changes no indexed column (``leased_until``) and the ledger leaves
    room on its pages, so the row is rewritten in place (a HOT update): none of its five
    indexes gets an entry per claim. Counted in the claim's own transaction."""
    ids = await queue(pool, "webhook", "http://127.0.0.1:9/hook", 5)
    hot = (
        "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'deliveries'"
    )
    async with pool.acquire() as connection, connection.transaction():
        claimed = await connection.fetch(queries.CLAIM_DUE, 5, 120.0, [])
        await connection.execute(queries.RELEASE, ids[:2])
        updates = await connection.fetchrow(hot)
    assert len(claimed) == 5
    assert (updates["n_tup_upd"], updates["n_tup_hot_upd"]) == (7, 7)


async def test_a_leased_delivery_is_claimed_again_only_once_its_lease_lapses(
    pool: asyncpg.Pool,
) -> None:
    from notifications.handlers import sending

    ids = await queue(pool, "webhook", "http://127.0.0.1:9/hook", 3)
    first = await sending.claim_due(pool, limit=10, lease_seconds=0.5, saturated=[])
    assert sorted(row["id"] for row in first) == sorted(ids)
    assert await sending.claim_due(pool, limit=10, lease_seconds=0.5, saturated=[]) == []
    await sending.release(pool, ids[:1])  # handed back: anyone's at once
    again = await sending.claim_due(pool, limit=10, lease_seconds=0.5, saturated=[])
    assert [row["id"] for row in again] == ids[:1]

    # A sender that died: once the leases lapse (read, not claimed, while waiting), all are
    # sent again.
    async def all_lapsed() -> bool:
        return await due(pool, ids) == len(ids)

    await polling.until(all_lapsed, seconds=10, interval=0.05, message="the leases never lapsed")
    lapsed = await sending.claim_due(pool, limit=10, lease_seconds=0.5, saturated=[])
    assert sorted(row["id"] for row in lapsed) == sorted(ids)


async def test_robots_are_paced_at_twenty_a_minute_and_nothing_is_dropped(
    pool: asyncpg.Pool, receiver: Receiver
) -> None:
    ids = await queue(pool, "wecom", f"{receiver.base_url}/cgi-bin/webhook/send?key=paced", 25)
    async with httpx.AsyncClient(timeout=5) as client:
        sender = make_sender(pool, client, robot_per_minute=20, per_endpoint=25)
        await sender.round()
        await sender.drain()
        await sender.round()
        await sender.drain()
    found = await statuses(pool, ids)
    assert found.count("delivered") == 20 and found.count("queued") == 5
    waiting = await pool.fetchval(
        "SELECT min(not_before) - now() FROM deliveries WHERE id = ANY($1) AND status = 'queued'",
        ids,
    )
    assert dt.timedelta(seconds=1) < waiting <= dt.timedelta(seconds=61)
    throttles = await pool.fetchval(
        "SELECT count(*) FROM delivery_attempts WHERE outcome = 'throttled'"
    )
    assert throttles == 0


async def test_two_sender_replicas_share_a_robots_twenty_a_minute(
    pool: asyncpg.Pool, receiver: Receiver
) -> None:
    # 60: a replica claims its free slots and as many again, so that the second replica's first
    # round finds messages too and both send at once.
    ids = await queue(pool, "wecom", f"{receiver.base_url}/cgi-bin/webhook/send?key=shared", 60)
    async with httpx.AsyncClient(timeout=5) as client:
        replicas = [make_sender(pool, client, robot_per_minute=20, concurrency=15) for _ in "ab"]
        for _ in range(2):
            for sender in replicas:
                await sender.round()
            for sender in replicas:
                await sender.drain()
    found = await statuses(pool, ids)
    assert (found.count("delivered"), found.count("queued")) == (20, 40)
    throttles = await pool.fetchval(
        "SELECT count(*) FROM delivery_attempts WHERE outcome = 'throttled'"
    )
    assert throttles == 0


async def test_a_throttled_robot_is_held_ten_minutes_and_others_go_on(
    pool: asyncpg.Pool, receiver: Receiver
) -> None:
    # Our pacing set above the robot's limit so the robot itself throttles us (errcode 130101).
    hot = await queue(pool, "dingtalk", f"{receiver.base_url}/robot/send?access_token=hot", 23)
    # A generous timeout: the robot counts a message it received even when its answer comes
    # too late for the client, so a timeout on a loaded machine would turn a delivered message
    # into a retry.
    async with httpx.AsyncClient(timeout=60) as client:
        sender = make_sender(pool, client, robot_per_minute=1000, concurrency=1)
        # Until the robot refuses: its 21st message. The other robot's messages are queued
        # only then, so that no retry of a hot one can fall behind them and end the test early.
        await until(lambda: _held(pool, "hot"), sender, seconds=120)
        other = await queue(
            pool, "dingtalk", f"{receiver.base_url}/robot/send?access_token=cool", 3
        )
        await until(lambda: _all(pool, other, "delivered"), sender)
    found = await statuses(pool, hot)
    assert found.count("delivered") == 20 and found.count("queued") == 3
    held = await pool.fetchval(
        "SELECT held_until - now() FROM endpoint_holds WHERE endpoint LIKE 'dingtalk:%hot'"
    )
    assert dt.timedelta(minutes=9) < held <= dt.timedelta(minutes=10)
    assert (
        await pool.fetchval("SELECT count(*) FROM delivery_attempts WHERE outcome = 'throttled'")
        == 1
    )  # the hold stopped the rest from even trying


async def test_the_sender_role_serves_livez_while_it_runs(pool: asyncpg.Pool, stack: Stack) -> None:
    from notifications.bootstrap import sender_role
    from tests.integration.test_messaging_liveness import run_role_until_alive
    from tests.support.private_postgres import free_port

    port = free_port()
    dsn = await pool.fetchval("SELECT current_database()")
    settings = NotificationsSettings(
        environment="test",
        database_url=stack.dsn_for(dsn),
        liveness_port=port,
        http_host="127.0.0.1",
    )
    await run_role_until_alive(lambda stop: sender_role(settings, stop), port)


async def test_a_name_that_resolves_into_a_private_range_is_refused_when_sent(
    pool: asyncpg.Pool, receiver: Receiver
) -> None:
    """The directory checks IP literals and loopback names; a name is resolved when sent."""
    host = socket.gethostname()
    resolved = {info[4][0] for info in socket.getaddrinfo(host, None)}
    if all(ipaddress.ip_address(address).is_global for address in resolved):
        pytest.skip(f"{host} resolves to public addresses only here")
    url = receiver.base_url.replace("127.0.0.1", host) + "/hook/by-name"
    ids = await queue(pool, "webhook", url, 1, secret=receiver.webhook_secret)
    async with httpx.AsyncClient(timeout=5) as client:
        sender = make_sender(pool, client, allow_private=False)

        async def failed() -> bool:
            return await statuses(pool, ids) == ["failed"]

        await until(failed, sender)
    reason = await pool.fetchval("SELECT reason FROM deliveries WHERE id = $1", ids[0])
    assert "private" in reason and host in reason
    assert receiver.bodies("/hook/by-name") == []


async def _held(pool: asyncpg.Pool, token: str) -> bool:
    return bool(
        await pool.fetchval(
            "SELECT count(*) FROM endpoint_holds WHERE endpoint LIKE $1", f"dingtalk:%={token}"
        )
    )


async def test_sends_finishing_together_are_settled_in_one_statement_with_each_deliverys_rows(
    pool: asyncpg.Pool,
) -> None:
    from notifications.handlers import sending
    from notifications.sender.loop import Settlements

    ids = await queue(pool, "webhook", "http://127.0.0.1:9/hook", 6)
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    settlements = [
        sending.Settlement(
            delivery_id=delivery,
            status=status,
            not_before=later,
            result=result,
            reason=reason,
            http_status=http_status,
        )
        for delivery, (status, result, reason, http_status) in zip(
            ids,
            [
                ("delivered", "delivered", None, 200),
                ("queued", "retry", "HTTP 503: down", 503),
                ("failed", "failed", "HTTP 404: gone", 404),
                ("delivered", "delivered", None, 204),
                ("queued", "retry", "ConnectError: refused", None),
                ("failed", "failed", "refused: loopback or private endpoint", None),
            ],
            strict=True,
        )
    ]
    statements: list[int] = []
    settle_many = sending.settle_many

    async def counted(pool_: asyncpg.Pool, batch: list[sending.Settlement]) -> None:
        statements.append(len(batch))
        await settle_many(pool_, batch)

    settling = Settlements(pool, linger=10)
    sending.settle_many = counted  # type: ignore[assignment]
    try:
        for settlement in settlements[:3]:
            settling.add(settlement)

        async def lingering() -> bool:  # the writer runs and waits for company
            return bool(settling._now._waiters)  # type: ignore[attr-defined]

        await polling.until(lingering, seconds=10, interval=0.01, message="the writer never ran")
        assert statements == []
        for settlement in settlements[3:]:
            settling.add(settlement)
        await settling.flush()
    finally:
        sending.settle_many = settle_many  # type: ignore[assignment]
    assert statements == [6]
    for settlement in settlements:
        row = await pool.fetchrow(
            "SELECT status, reason, attempts, not_before FROM deliveries WHERE id = $1",
            settlement.delivery_id,
        )
        assert (row["status"], row["reason"], row["attempts"]) == (
            settlement.status,
            settlement.reason,
            1,
        )
        assert row["not_before"] == later
        attempts = await pool.fetch(
            "SELECT outcome, reason, http_status FROM delivery_attempts WHERE delivery_id = $1",
            settlement.delivery_id,
        )
        assert [tuple(attempt) for attempt in attempts] == [
            (settlement.result, settlement.reason, settlement.http_status)
        ]
    # A delivery no longer queued keeps its status; its attempt is still recorded.
    settling.add(settlements[0])
    await settling.flush()
    assert await statuses(pool, [ids[0]]) == ["delivered"]
    assert (
        await pool.fetchval("SELECT count(*) FROM delivery_attempts WHERE delivery_id = $1", ids[0])
        == 2
    )


async def test_a_settle_that_fails_in_company_is_retried_alone_and_only_it_is_left_leased(
    pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    from notifications.handlers import sending
    from notifications.sender.loop import Settlements

    ids = await queue(pool, "webhook", "http://127.0.0.1:9/hook", 3)
    now = dt.datetime(2026, 12, 10, 6, tzinfo=dt.UTC)  # any instant: only the status is read

    def settlement(delivery: uuid.UUID) -> sending.Settlement:
        return sending.Settlement(
            delivery_id=delivery,
            status="delivered",
            not_before=now,
            result="delivered",
            reason=None,
            http_status=200,
        )

    unknown = uuid.uuid4()  # no such delivery: its attempt row breaks the foreign key
    settling = Settlements(pool)
    for delivery in [ids[0], ids[1], unknown, ids[2]]:
        settling.add(settlement(delivery))
    await settling.flush()
    assert await statuses(pool, ids) == ["delivered"] * 3
    messages = [r.getMessage() for r in caplog.records if "not settled" in r.getMessage()]
    assert len(messages) == 1 and messages[0].startswith(f"delivery {unknown} not settled")


async def test_a_running_sender_keeps_its_start_heap_out_of_full_collections(
    pool: asyncpg.Pool,
) -> None:
    """shared.service.heap: frozen while it runs, thawed when it stops."""
    async with httpx.AsyncClient(timeout=5) as client:
        sender = make_sender(pool, client)
        stop = asyncio.Event()
        running = asyncio.create_task(sender.run(stop, poll=0.05))
        try:
            await polling.until(
                _frozen,
                seconds=10,
                interval=0.05,
                message="the sender did not freeze its start heap",
            )
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)
    assert gc.get_freeze_count() == 0


async def _frozen() -> bool:
    return gc.get_freeze_count() > 0
