"""Fan-out of one ``submissions.deadline.approaching`` event to 100,000 webhook recipients
(100 county bureaus x 1,000 signed webhooks each; ``BENCH_RECIPIENTS`` to change it) on a
loopback receiver.

Prints the sender's deliveries per second against a bare httpx async client sending the same
signed requests (the same bodies, read from the ledger before its turns) to the same receiver
with the same concurrency (ratio, goal >= 0.9), the sender's resident memory from a tenth of the
deliveries to the last (flat), the time from the event in Kafka to the last delivery written
to the ledger, and the count check: every recipient delivered once, none twice (the receiver
counts request ids).

The two sides take turns of ``BENCH_FANOUT_TURN`` seconds (5 by default), the side that starts
a pair changing every pair, as many turns each, until the sender has delivered every delivery
(the bare side goes through the ledger's requests again if it is faster): on a machine shared
with other work, the load moves within a run, and one side's block after the other's measured
whichever side the load fell on (0.69 and 0.89 for the same code in two runs). A turn ends like a
stopped sender: no new sends, the ones in flight finished (and, for the sender, settled). Before
each turn, of either side, what the process holds is collected and frozen (outside the clock),
so neither side pays for the other's garbage."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
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
from benchmarks.registry_writes import cpu_seconds, database_backends
from notifications.bootstrap import build_channels, consumer_context
from notifications.channels.egress import egress_client
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
TURN = float(os.environ.get("BENCH_FANOUT_TURN", "5"))  # seconds each side sends per turn
# "Flat memory": the sender's process grows by at most this much from a tenth of the
# deliveries to the last (a leak of even 1 KiB per delivery would be ~90 MiB at 100,000).
FLAT_MIB = 32
BUREAUS = 100
CONCURRENCY = 16  # httpx slows down past a few dozen connections (measured)
# A free port, kept in the environment so the API process it starts (which imports this
# module again) serves on the same one; a fixed port would clash with other checkouts' runs.
PORT = int(os.environ.setdefault("BENCH_PORT_NOTIFICATIONS_FANOUT", str(free_port())))
SECRET = "bench-webhook-secret"
WINDOW = "guizhou-shibaiqianwan-2023.annual-report.2025"
# Longer than a turn: neither side finds its connections closed by the other's turn.
KEEP_ALIVE = 120


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

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=PORT,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE,
    )


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


@dataclass
class Turn:
    """A turn's wall-clock seconds and CPU seconds: this process, the receiver, and the
    database's backends."""

    seconds: float
    cpu: float
    receiver_cpu: float
    database_cpu: float


@dataclass
class Side:
    """One side's turns added up."""

    sent: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    receiver_cpu: float = 0.0
    database_cpu: float = 0.0

    def __post_init__(self) -> None:
        self.rates: list[float] = []  # deliveries per second, turn by turn

    def add(self, turn: Turn, sent: int) -> None:
        self.sent += sent
        self.seconds += turn.seconds
        self.cpu += turn.cpu
        self.receiver_cpu += turn.receiver_cpu
        self.database_cpu += turn.database_cpu
        self.rates.append(sent / turn.seconds)

    def rate(self) -> float:
        return self.sent / self.seconds

    def ms(self, seconds: float) -> float:
        """``seconds`` of CPU per delivery, in milliseconds."""
        return seconds / max(self.sent, 1) * 1000


class Clock:
    """Times a turn: wall clock and CPU of this process, the receiver, the database backends."""

    def __init__(self, receiver_pid: int, dsn: str) -> None:
        self._receiver, self._dsn = receiver_pid, dsn

    async def start(self) -> None:
        # Out of the clock, before each turn of either side: what the process holds (the other
        # side's garbage included) collected and frozen, and the backends listed.
        gc.collect()
        gc.freeze()
        self._backends = await database_backends(self._dsn)
        self._before = cpu_seconds([self._receiver, *self._backends])
        self._cpu = time.process_time()
        self._wall = time.perf_counter()

    async def stop(self) -> Turn:
        seconds = time.perf_counter() - self._wall
        cpu = time.process_time() - self._cpu
        backends = set(self._backends) | set(await database_backends(self._dsn))
        after = cpu_seconds([self._receiver, *backends])
        gc.unfreeze()
        used = {pid: seconds_ - self._before.get(pid, 0.0) for pid, seconds_ in after.items()}
        receiver = used.pop(self._receiver, 0.0)
        return Turn(seconds, cpu, receiver, sum(used.values()))


class Bare:
    """The bare httpx client: the ledger's requests (read before its turn, out of the clock)
    signed and posted as the sender does, ``CONCURRENCY`` at a time."""

    def __init__(self, pool: asyncpg.Pool, client: httpx.AsyncClient) -> None:
        self._pool, self._client = pool, client
        self._after = uuid.UUID(int=0)
        self._left = RECIPIENTS
        self._ready: list[asyncpg.Record] = []
        self._round = 0  # once through the ledger, the same requests again, with new ids

    async def read(self, most: int) -> None:
        """The next requests of the ledger, up to ``most`` ready (out of the clock)."""
        if self._left == 0:
            self._after, self._left, self._round = uuid.UUID(int=0), RECIPIENTS, self._round + 1
        wanted = min(most - len(self._ready), self._left)
        if wanted <= 0:
            return
        rows = await self._pool.fetch(
            "SELECT d.id, d.kind, d.title, d.body, d.payload, r.address, r.secret"
            " FROM deliveries d JOIN recipients r ON r.id = d.recipient_id"
            " WHERE d.channel = 'webhook' AND d.id > $1 ORDER BY d.id LIMIT $2",
            self._after,
            wanted,
        )
        self._ready.extend(rows)
        self._left -= len(rows)
        self._after = rows[-1]["id"]

    async def turn(self, until: float) -> int:
        ready, self._ready = self._ready, []
        ready.reverse()  # popped from the end: the ledger's order
        sent = 0

        async def worker() -> None:
            nonlocal sent
            while ready and time.perf_counter() < until:
                row = ready.pop()
                body = json.dumps(
                    {
                        "id": str(row["id"]),
                        "kind": row["kind"],
                        "title": row["title"],
                        "text": row["body"],
                        "data": row["payload"],
                    },
                    ensure_ascii=False,
                    separators=(",", ":"),
                    default=str,
                ).encode()
                timestamp = str(int(time.time()))
                await self._client.post(
                    row["address"],
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "X-Notification-Id": f"bare{self._round}-{row['id']}",
                        "X-Notification-Timestamp": timestamp,
                        "X-Notification-Signature": signature(row["secret"], timestamp, body),
                    },
                )
                sent += 1

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        ready.reverse()
        self._ready = ready
        return sent


async def delivered(pool: asyncpg.Pool) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM deliveries WHERE channel = 'webhook' AND status = 'delivered'"
        )
    )


class Ours:
    """The sender, run for a turn as the role runs (``Sender.run``) and stopped as the role is
    stopped: no new claims, the sends in flight finished and their settles written."""

    def __init__(self, pool: asyncpg.Pool, sender: Sender) -> None:
        self._pool, self._sender = pool, sender
        self.delivered = self.last_turn = 0
        self.first_mib = self.peak_mib = 0.0

    @property
    def done(self) -> bool:
        return self.delivered >= RECIPIENTS

    async def turn(self, until: float) -> None:
        stop = asyncio.Event()
        sending = asyncio.create_task(self._sender.run(stop, poll=0.05))
        # The last turn ends when the ledger is empty, looked at every 50 ms; the turns before
        # do not look (a count costs the database CPU that the bare side does not spend).
        last = RECIPIENTS - self.delivered <= max(2000, 2 * self.last_turn)
        while (wait := until - time.perf_counter()) > 0:
            await asyncio.sleep(min(wait, 0.05) if last else wait)
            if last and not await self._pool.fetchval(
                "SELECT EXISTS (SELECT 1 FROM deliveries WHERE status = 'queued')"
            ):
                break
        stop.set()
        await sending

    async def count(self) -> int:
        """Delivered in the last turn (out of the clock); samples the resident memory."""
        now = await delivered(self._pool)
        sent, self.delivered = now - self.delivered, now
        self.last_turn = sent
        if self.delivered >= RECIPIENTS // 10:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    mib = int(line.split()[1]) / 1024
                    self.first_mib = self.first_mib or mib
                    self.peak_mib = max(self.peak_mib, mib)
        return sent


async def fan_out(dsn: str, prefix: str, pool: asyncpg.Pool) -> float:
    """The event through Kafka and the consumer into the ledger: seconds until every delivery
    is queued. The consumer then stops (the sender is a role of its own)."""
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
    try:
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
        while (
            await pool.fetchval("SELECT count(*) FROM deliveries WHERE channel = 'webhook'")
            < RECIPIENTS
        ):
            await asyncio.sleep(0.05)
        return time.perf_counter() - published
    finally:
        stop.set()
        await consumer


async def take_turns(dsn: str, pool: asyncpg.Pool, receiver_pid: int) -> tuple[Side, Side, Ours]:
    """Pairs of turns of ``TURN`` seconds, the side going first changing every pair, until the
    sender has delivered every delivery. The bare side takes its turn in every pair (through the
    ledger's requests again if it has sent them all): each side as many turns as the other, so
    neither runs alone in a spell of load the other did not meet."""
    bare_side, our_side = Side(), Side()
    clock = Clock(receiver_pid, dsn)
    settings = NotificationsSettings(
        environment="test", database_url=dsn, allow_private_endpoints=True
    )
    limits = httpx.Limits(max_connections=CONCURRENCY)
    # The sender's client is built as the sender role builds it (``egress_client``: 10 s
    # timeout, no redirects; private endpoints allowed here, as in development).
    async with (
        httpx.AsyncClient(timeout=10, limits=limits) as bare_client,
        egress_client(allow_private=True, limits=limits) as our_client,
    ):
        bare = Bare(pool, bare_client)
        sender = Sender(
            pool,
            build_channels(settings, our_client),
            concurrency=CONCURRENCY,
            batch_size=500,
            allow_private=True,
        )
        ours = Ours(pool, sender)
        ahead = 2000  # requests the bare side reads before a turn: twice its last turn's
        pair = 0
        while not ours.done:
            for side in ("bare", "ours") if pair % 2 == 0 else ("ours", "bare"):
                if side == "bare":
                    await bare.read(ahead)
                    await clock.start()
                    sent = await bare.turn(time.perf_counter() + TURN)
                    bare_side.add(await clock.stop(), sent)
                    ahead = max(ahead, 2 * sent)
                elif side == "ours" and not ours.done:
                    await clock.start()
                    await ours.turn(time.perf_counter() + TURN)
                    turn = await clock.stop()
                    our_side.add(turn, await ours.count())  # counted out of the clock
            pair += 1
    return bare_side, our_side, ours


async def main() -> None:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    dsn = await fresh_database("notifications", MIGRATIONS_DIR)
    receiver = start_receiver()
    pool = await create_pool(dsn, min_size=2, max_size=10)
    try:
        await prepare(dsn)
        fanned_out = await fan_out(dsn, prefix, pool)
        bare, ours, memory = await take_turns(dsn, pool, receiver.pid)
        distinct = await pool.fetchval(
            "SELECT count(DISTINCT (event_id, recipient_key)) FROM deliveries"
            " WHERE channel = 'webhook' AND status = 'delivered'"
        )
        # How many of the ledger's row updates were made in place (HOT: no index entries);
        # the statistics reach this view within a second or so of each transaction.
        updates = await pool.fetchrow(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'deliveries'"
        )
        async with httpx.AsyncClient(timeout=5) as client:
            stats = (await client.get(f"http://127.0.0.1:{PORT}/stats")).json()
        ratio = ours.rate() / bare.rate()
        pairs = [o / b for b, o in zip(bare.rates, ours.rates, strict=False)]
        growth = memory.peak_mib - memory.first_mib
        print(f"notifications_fanout: {RECIPIENTS} webhook recipients, {BUREAUS} bureaus")
        print(f"  event in Kafka -> every delivery queued: {fanned_out:.1f} s")
        print(
            f"  {len(bare.rates)} + {len(ours.rates)} turns of {TURN:g} s, taking turns;"
            f" CPU per delivery: this process, the receiver, the database"
        )
        for name, side in (("bare httpx client", bare), ("sender", ours)):
            print(
                f"  {name:<18}  {side.rate():8.0f} deliveries/s   {side.ms(side.cpu):.2f} ms"
                f"  {side.ms(side.receiver_cpu):.2f} ms  {side.ms(side.database_cpu):.2f} ms"
            )
        print(
            f"  ratio {ratio:.2f} (goal >= 0.9); pairs of turns: min {min(pairs):.2f},"
            f" median {statistics.median(pairs):.2f}, max {max(pairs):.2f}"
        )
        print(
            f"  ledger row updates: {updates['n_tup_upd']}, of which in place (HOT)"
            f" {updates['n_tup_hot_upd']}"
        )
        print(
            f"  resident memory     {memory.first_mib:.0f} MiB at a tenth delivered, "
            f"{memory.peak_mib:.0f} MiB at most after (goal: flat, <= {FLAT_MIB} MiB more)"
        )
        results.record(
            "notifications_fanout",
            f"reminder fan-out {RECIPIENTS:,} / bare httpx",
            ours=f"{ours.rate():.0f}/s",
            baseline=f"{bare.rate():.0f}/s",
            ratio=ratio,
            goal=">= 0.9",
            passed=ratio >= 0.9,
            peak_mib=memory.peak_mib,
            cpu_ms=ours.ms(ours.cpu),
        )
        results.record(
            "notifications_fanout",
            "  pairs of turns' ratios: min / median / max",
            ours=f"{min(pairs):.2f} / {statistics.median(pairs):.2f} / {max(pairs):.2f}",
            goal="(context)",
            passed=None,
        )
        # CPU per delivery on each side: steadier than the rates on a loaded machine. The
        # sender's database work is its own: the bare side has none.
        results.record(
            "notifications_fanout",
            "  the same, bare httpx CPU / sender CPU per delivery",
            ours=f"{ours.ms(ours.cpu):.2f} ms",
            baseline=f"{bare.ms(bare.cpu):.2f} ms",
            ratio=bare.cpu / bare.sent / (ours.cpu / ours.sent),
            goal="(context)",
            passed=None,
        )
        results.record(
            "notifications_fanout",
            "  the sender's database CPU per delivery",
            ours=f"{ours.ms(ours.database_cpu):.2f} ms",
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
        requests = stats["requests"] - bare.sent
        ok = distinct == RECIPIENTS and requests == RECIPIENTS and stats["twice"] == 0
        print(
            f"  count check: {distinct} delivered, receiver saw {requests} requests from the"
            f" sender, {stats['twice']} ids twice -> {'OK' if ok else 'FAILED'}"
        )
    finally:
        await pool.close()
        receiver.terminate()
        receiver.wait(10)
        await drop_database(dsn)
        await delete_topics(prefix)
