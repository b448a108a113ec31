"""Fan-out of one ``submissions.deadline.approaching`` event to 100,000 webhook recipients
(100 county bureaus x 1,000 signed webhooks each; ``BENCH_RECIPIENTS`` to change it) on a
loopback receiver.

Prints the sender's deliveries per second against a bare httpx async client sending the same
signed requests to the same receiver with the same concurrency (ratio, goal >= 0.9), the
sender's resident memory from a tenth of the deliveries to the last (flat), the time
from the event in Kafka to the last delivery, and the count check: every recipient delivered once, none
twice (the receiver counts request ids)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from benchmarks import results
from benchmarks.common import (
    delete_topics,
    drop_database,
    free_port,
    fresh_database,
    kafka_bootstrap,
)
from notifications.bootstrap import build_channels, consumer_context
from notifications.channels.webhook import signature
from notifications.config import NotificationsSettings
from notifications.consumers.subscriptions import TOPICS, handlers
from notifications.db import MIGRATIONS_DIR
from notifications.sender import Sender
from shared.china_time import CHINA
from shared.db.pool import create_pool
from shared.events.envelope import wrap
from shared.events.submissions import DeadlineApproaching, MissingReporters
from shared.messaging.kafka import create_producer
from shared.service.entrypoints import consumer_role

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "100000"))
# "Flat memory": the sender's process grows by at most this much from a tenth of the
# deliveries to the last (a leak of even 1 KiB per delivery would be ~90 MiB at 100,000).
FLAT_MIB = 32
BUREAUS = 100
CONCURRENCY = 16  # httpx slows down past a few dozen connections (measured)
# A free port, kept in the environment so the API process it starts (which imports this
# module again) serves on the same one; a fixed port would clash with other checkouts' runs.
PORT = int(os.environ.setdefault("BENCH_PORT_NOTIFICATIONS_FANOUT", str(free_port())))
SECRET = "bench-webhook-secret"
POLL = 0.25  # seconds between two counts of the delivered rows
WINDOW = "guizhou-shibaiqianwan-2023.annual-report.2025"


def receive() -> None:
    """The receiver process: answers 200 to every POST and counts the ids it saw."""
    import uvicorn

    seen: dict[str, int] = {}

    async def app(scope, receive_message, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive_message()
            more = message.get("more_body", False)
        if scope["method"] == "GET":
            body = json.dumps(
                {
                    "requests": sum(seen.values()),
                    "distinct": len(seen),
                    "twice": sum(1 for n in seen.values() if n > 1),
                }
            ).encode()
        else:
            headers = dict(scope["headers"])
            key = headers.get(b"x-notification-id", b"").decode()
            seen[key] = seen.get(key, 0) + 1
            body = b"{}"
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False)


def start_receiver() -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", "from benchmarks.notifications_fanout import receive; receive()"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{PORT}/stats", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the receiver did not start")


def counties() -> list[str]:
    return [f"52{1 + n // 10:02d}{1 + n % 10:02d}" for n in range(BUREAUS)]


async def prepare(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "recipients",
            records=[
                (
                    uuid.uuid4(),
                    region,
                    "county_bureau",
                    f"区县商务局 {n}",
                    "webhook",
                    f"http://127.0.0.1:{PORT}/hook/{n}",
                    SECRET,
                    "api",
                )
                for n in range(RECIPIENTS)
                for region in [counties()[n % BUREAUS]]
            ],
            columns=["id", "region_code", "role", "name", "channel", "address", "secret", "source"],
        )
    finally:
        await connection.close()


async def baseline() -> tuple[float, float]:
    """The same signed POSTs by a bare httpx client, same concurrency: deliveries per second
    and this process's CPU ms per delivery."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(RECIPIENTS):
        queue.put_nowait(n)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                body = json.dumps(
                    {
                        "id": str(uuid.uuid4()),
                        "kind": "deadline_reminder",
                        "title": "t",
                        "text": "### 年度数据报送提醒\n- D1",
                        "data": {"designation_ids": ["D1"]},
                    },
                    ensure_ascii=False,
                    separators=(",", ":"),
                ).encode()
                timestamp = str(int(time.time()))
                await client.post(
                    f"http://127.0.0.1:{PORT}/hook/{n}",
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "X-Notification-Id": f"baseline-{n}",
                        "X-Notification-Timestamp": timestamp,
                        "X-Notification-Signature": signature(SECRET, timestamp, body),
                    },
                )

        started = time.perf_counter()
        cpu_started = time.process_time()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        cpu_ms = (time.process_time() - cpu_started) / RECIPIENTS * 1000
        return RECIPIENTS / (time.perf_counter() - started), cpu_ms


class Memory:
    """Resident memory of this process (the sender's side) while it sends."""

    def __init__(self) -> None:
        self.first_mib = 0.0
        self.peak_mib = 0.0
        self.cpu_ms = 0.0

    def sample(self) -> None:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
                self.first_mib = self.first_mib or now
                self.peak_mib = max(self.peak_mib, now)


async def through_the_service(dsn: str, prefix: str, memory: Memory) -> tuple[float, float, int]:
    settings = NotificationsSettings(
        environment="test",
        database_url=dsn,
        kafka_bootstrap_servers=kafka_bootstrap(),
        kafka_topic_prefix=prefix,
        allow_private_endpoints=True,
    )
    due = dt.datetime(2025, 12, 11, tzinfo=CHINA)
    per_bureau = [
        MissingReporters(
            region_code=code, level="county", designation_ids=[f"D{n}-{k}" for k in range(5)]
        )
        for n, code in enumerate(counties())
    ]
    event = DeadlineApproaching(
        window_id=WINDOW,
        point="before-3d",
        offset_days=-3,
        point_at=due - dt.timedelta(days=3),
        due_at=due,
        late=False,
        expected=1000,
        missing=5 * BUREAUS,
        missing_by_bureau=per_bureau,
    )
    envelope = wrap(event, source="/services/submissions")
    stop = asyncio.Event()
    consumer = asyncio.create_task(
        consumer_role(settings, TOPICS, handlers(consumer_context(settings)), stop)
    )
    pool = await create_pool(dsn, min_size=2, max_size=10)
    limits = httpx.Limits(max_connections=CONCURRENCY)
    try:
        async with httpx.AsyncClient(timeout=10, limits=limits) as client:
            sender = Sender(
                pool,
                build_channels(settings, client),
                concurrency=CONCURRENCY,
                batch_size=500,
                allow_private=True,
            )
            producer = create_producer(kafka_bootstrap())
            await producer.start()
            try:
                await producer.send_and_wait(
                    settings.topic("submissions.deadline"),
                    envelope.model_dump_json().encode(),
                    key=envelope.subject.encode(),
                )
            finally:
                await producer.stop()
            published = time.perf_counter()
            while not await pool.fetchval(
                "SELECT count(*) FROM deliveries WHERE channel = 'webhook'"
            ):
                await asyncio.sleep(0.05)
            first = time.perf_counter()
            cpu_started = time.process_time()
            sending = asyncio.create_task(sender.run(stop, poll=0.05))
            while (
                done := await pool.fetchval(
                    "SELECT count(*) FROM deliveries WHERE channel = 'webhook' AND status = 'delivered'"
                )
            ) < RECIPIENTS:
                # Flat memory: resident size once a tenth is delivered, and its highest after.
                if done >= RECIPIENTS // 10:
                    memory.sample()
                # Not more often: each count reads every delivery row (≈ 10 ms of PostgreSQL's
                # CPU at 100,000), CPU the bare side does not share with the database; a quarter
                # of a second is ≤ 0.1 % of the run at 100,000 deliveries.
                await asyncio.sleep(POLL)
            last = time.perf_counter()
            memory.sample()
            memory.cpu_ms = (time.process_time() - cpu_started) / RECIPIENTS * 1000
            stop.set()
            await sending
            delivered = await pool.fetchval(
                "SELECT count(DISTINCT (event_id, recipient_key)) FROM deliveries"
                " WHERE channel = 'webhook' AND status = 'delivered'"
            )
    finally:
        stop.set()
        await consumer
        await pool.close()
    return RECIPIENTS / (last - first), last - published, int(delivered)


async def main() -> None:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    dsn = await fresh_database("notifications", MIGRATIONS_DIR)
    receiver = start_receiver()
    try:
        await prepare(dsn)
        bare, bare_cpu_ms = await baseline()
        memory = Memory()
        ours, end_to_end, delivered = await through_the_service(dsn, prefix, memory)
        async with httpx.AsyncClient(timeout=5) as client:
            stats = (await client.get(f"http://127.0.0.1:{PORT}/stats")).json()
        service_requests = stats["requests"] - RECIPIENTS
        print(f"notifications_fanout: {RECIPIENTS} webhook recipients, {BUREAUS} bureaus")
        print(f"  bare httpx client   {bare:8.0f} deliveries/s   {bare_cpu_ms:.2f} ms CPU each")
        growth = memory.peak_mib - memory.first_mib
        print(
            f"  sender              {ours:8.0f} deliveries/s   ratio {ours / bare:.2f} (goal >= 0.9)"
            f"   {memory.cpu_ms:.2f} ms CPU each"
        )
        print(
            f"  resident memory     {memory.first_mib:.0f} MiB at a tenth delivered, "
            f"{memory.peak_mib:.0f} MiB at most after (goal: flat, <= {FLAT_MIB} MiB more)"
        )
        results.record(
            "notifications_fanout",
            f"reminder fan-out {RECIPIENTS:,} / bare httpx",
            ours=f"{ours:.0f}/s",
            baseline=f"{bare:.0f}/s",
            ratio=ours / bare,
            goal=">= 0.9",
            passed=ours / bare >= 0.9,
            peak_mib=memory.peak_mib,
            cpu_ms=memory.cpu_ms,
        )
        # CPU per delivery of this process on each side (the sender's includes its claims and
        # settles, the count polls and the idle consumer): steadier than the rates on a loaded
        # machine, where the ratio of rates follows whichever side the load fell on.
        results.record(
            "notifications_fanout",
            "  the same, bare httpx CPU / sender CPU per delivery",
            ours=f"{memory.cpu_ms:.2f} ms",
            baseline=f"{bare_cpu_ms:.2f} ms",
            ratio=bare_cpu_ms / memory.cpu_ms,
            goal="(context)",
            passed=None,
        )
        results.record(
            "notifications_fanout",
            "fan-out memory growth (10 %→100 %)",
            ours=f"{growth:+.0f} MiB",
            goal=f"<= {FLAT_MIB} MiB",
            passed=growth <= FLAT_MIB,
        )
        print(f"  event in Kafka -> last delivery: {end_to_end:.1f} s")
        print(
            f"  count check: {delivered} delivered, receiver saw {service_requests} requests, "
            f"{stats['twice']} ids twice -> {'OK' if delivered == RECIPIENTS and service_requests == RECIPIENTS and stats['twice'] == 0 else 'FAILED'}"
        )
    finally:
        receiver.terminate()
        receiver.wait(10)
        await drop_database(dsn)
        await delete_topics(prefix)
