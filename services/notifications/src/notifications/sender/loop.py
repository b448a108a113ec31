"""The ``sender`` role's loop (``python -m notifications sender``): drains queued deliveries.

Each round claims due deliveries of endpoints that are not held (``endpoint_holds``), for the
free concurrency slots and as many again (claimed ahead: a freed slot takes the next at once,
and a claim serves many sends instead of one or two), and sends each in its own task; its new status and its attempt row
are written with those of the sends that finished at about the same time, in one short
transaction (``Settlements``). A slow or down endpoint therefore only occupies its own
slots and its own queue: its failures back off (exponential with jitter) per delivery, and a
throttled robot is held for ten minutes while other recipients go on. Robots are paced to 20
messages a minute each, counted in PostgreSQL (``robot_sends``) so that the limit holds across
sender replicas: an over-limit message stays queued for the next free slot, never dropped."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import socket
from collections import Counter, deque
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import asyncpg

from notifications.channels.base import Channel, Outcome, Outgoing
from notifications.domain.addresses import is_private_host
from notifications.domain.pacing import backoff_seconds
from notifications.handlers import sending
from shared import metrics
from shared.db.rows import from_row
from shared.service.heap import frozen_startup_heap

log = logging.getLogger(__name__)

PACED = ("wecom", "dingtalk")
LEASE_SECONDS = 120.0


def endpoint_of(row: asyncpg.Record) -> str:
    """A delivery's endpoint as ``endpoint_holds`` and the claim name it: channel:address."""
    return f"{row['channel']}:{row['address'] or ''}"


async def refused_endpoint(url: str) -> str | None:
    """Why ``url`` may not be sent to: an IP literal or name in a loopback or private range,
    as the directory checks, or a name that resolves into one now (the directory cannot know
    what a name will resolve to). A name that does not resolve is left to the send (retried).
    The send's client checks again the addresses it connects to (``channels/egress.py``), so
    a name that changes its answer in between (DNS rebinding) is refused there."""
    host = urlsplit(url).hostname or ""
    if is_private_host(host):
        return "refused: loopback or private endpoint"
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return None
    private = sorted(
        {str(info[4][0]) for info in infos if is_private_host(str(info[4][0]).split("%")[0])}
    )
    if private:
        return f"refused: {host} resolves to loopback or private {', '.join(private)}"
    return None


class Sender:
    def __init__(
        self,
        pool: asyncpg.Pool,
        channels: Mapping[str, Channel],
        *,
        concurrency: int = 64,
        batch_size: int = 200,
        max_attempts: int = 6,
        retry_initial: float = 2.0,
        retry_max: float = 600.0,
        robot_per_minute: int = 20,
        throttle_hold: float = 600.0,
        allow_private: bool = False,
        per_endpoint: int = 8,
    ) -> None:
        self._pool, self._channels = pool, channels
        self._concurrency, self._batch = concurrency, batch_size
        self._max_attempts = max_attempts
        self._retry_initial, self._retry_max = retry_initial, retry_max
        self._robot_per_minute, self._pace_window = robot_per_minute, 60.0
        self._throttle_hold = throttle_hold
        self._allow_private = allow_private
        self._tasks: set[asyncio.Task[None]] = set()
        # Sends in flight per endpoint, at most ``per_endpoint``: a receiver that hangs until
        # the timeout holds those slots only, never all of them.
        self._per_endpoint = per_endpoint
        self._in_flight: Counter[str] = Counter()
        self._settlements = Settlements(pool)
        # Claimed ahead and leased (``LEASE_SECONDS``) until a slot frees: at most one claim's
        # worth, sent before anything claimed later, so each waits no longer than the sends
        # in flight (the client's timeout) and far less than its lease.
        self._ahead: deque[asyncpg.Record] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._claiming: asyncio.Task[int] | None = None  # a claim beside the loop

    async def round(self) -> int:
        """Start sending what is due in the free slots, the deliveries claimed ahead first;
        claim again (for the free slots and as many again) once half of those are taken.
        Returns how many sends it started.

        With nothing left to start, the round waits for its claim. With deliveries still
        claimed ahead, the claim runs beside the loop (one at a time), which goes on starting
        sends meanwhile: a claim waits for the database, and on a busy machine that round trip
        would otherwise idle every slot that freed during it."""
        free = self._concurrency - len(self._tasks)
        if free <= 0:
            return 0
        started = await self._start(free)
        if len(self._ahead) * 2 > self._concurrency or self._claiming is not None:
            return started
        claim = self._claim(self._concurrency + free - started - len(self._ahead))
        if self._ahead:
            self._claiming = asyncio.create_task(claim)
            self._claiming.add_done_callback(self._claimed)
            return started
        await claim
        return started + await self._start(free - started)

    async def _claim(self, limit: int) -> int:
        queued = Counter(endpoint_of(row) for row in self._ahead) + self._in_flight
        saturated = [e for e, n in queued.items() if n >= self._per_endpoint]
        rows = await sending.claim_due(
            self._pool,
            limit=min(limit, self._batch),
            lease_seconds=LEASE_SECONDS,
            saturated=saturated,
        )
        self._ahead.extend(rows)
        return len(rows)

    def _claimed(self, task: asyncio.Task[int]) -> None:
        self._claiming = None
        if task.cancelled():
            return
        if (error := task.exception()) is not None:
            log.warning("sender claim failed: %s", error)
        elif task.result():
            self._wake()  # slots may be free by now

    async def _start(self, free: int) -> int:
        """Up to ``free`` sends of the deliveries claimed ahead; those of an endpoint whose
        slots are all taken go back to the queue."""
        started, surplus = 0, []
        while self._ahead and started < free:
            row = self._ahead.popleft()
            endpoint = endpoint_of(row)
            if self._in_flight[endpoint] >= self._per_endpoint:
                surplus.append(row["id"])
                continue
            self._in_flight[endpoint] += 1
            task = asyncio.create_task(self._deliver(row))
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._finished, endpoint))
            started += 1
        if surplus:
            await sending.release(self._pool, surplus)
        return started

    async def _release_ahead(self, endpoint: str | None = None) -> None:
        """Back to the queue at once (lease dropped): what was claimed ahead, or only that of
        ``endpoint`` (held: it asked us to slow down)."""
        released = [r for r in self._ahead if endpoint is None or endpoint_of(r) == endpoint]
        for row in released:
            self._ahead.remove(row)
        if released:
            await sending.release(self._pool, [row["id"] for row in released])

    def _finished(self, endpoint: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._in_flight[endpoint] -= 1
        if self._in_flight[endpoint] <= 0:
            del self._in_flight[endpoint]
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _pause(self, seconds: float) -> None:
        """Until a send finishes, the role is stopped or ``seconds`` pass: one future and one
        timer, not tasks waited on and cancelled at every freed slot."""
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        timer = loop.call_later(seconds, self._wake)
        try:
            await self._waiter
        finally:
            timer.cancel()
            self._waiter = None

    async def drain(self) -> None:
        """Hand back what was claimed ahead, then wait for the sends in flight and their
        settles (tests, shutdown)."""
        if self._claiming is not None:
            await asyncio.wait([self._claiming])
        await self._release_ahead()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self._settlements.flush()

    async def run(
        self,
        stop: asyncio.Event,
        beat: Callable[[], None] | None = None,
        poll: float = 1.0,
    ) -> None:
        # What the sender holds when it starts (modules, channels, clients) lives as long as
        # it does: frozen, no full collection walks it (shared.service.heap); thawed when
        # it stops, so a process that goes on (a test) is left as it was.
        with frozen_startup_heap():
            stopping = asyncio.ensure_future(stop.wait())
            stopping.add_done_callback(lambda _: self._wake())
            try:
                while not stop.is_set():
                    try:
                        started = await self.round()
                    except (TimeoutError, OSError, asyncpg.PostgresError) as error:
                        log.warning("sender round failed: %s", error)
                        started = 0
                    if beat is not None:
                        beat()
                    busy = len(self._tasks) >= self._concurrency
                    if (started == 0 or busy) and not stop.is_set():
                        # Nothing due: look again after ``poll`` (or once a send finishes).
                        # Every slot busy: claim again as soon as a send finishes (waiting a
                        # whole poll would idle the freed slots).
                        await self._pause(poll)
            finally:
                stopping.cancel()
            await self.drain()

    async def _deliver(self, row: asyncpg.Record) -> None:
        try:
            await self._deliver_once(row)
        except Exception:  # one delivery's trouble must not end the role
            log.exception("delivery %s: unexpected error", row["id"])

    async def _deliver_once(self, row: asyncpg.Record) -> None:
        channel = self._channels.get(row["channel"])
        address = row["address"] or ""
        endpoint = endpoint_of(row)
        if channel is None:
            await self._settle(row, Outcome("failed", f"channel {row['channel']} not configured"))
            return
        if row["channel"] in ("webhook", *PACED) and not self._allow_private:
            refused = await refused_endpoint(address)
            if refused:
                await self._settle(row, Outcome("failed", refused))
                return
        if row["channel"] in PACED:
            wait = await sending.robot_slot(
                self._pool, endpoint, per_minute=self._robot_per_minute, window=self._pace_window
            )
            if wait > 0:  # over 20 a minute: stays queued for the next free slot
                await self._requeue(row, wait)
                return
        outcome = await channel.send(
            from_row(
                Outgoing,
                row,
                delivery_id=row["id"],
                address=address,
                payload=dict(row["payload"] or {}),
            )
        )
        await self._settle(row, outcome, endpoint=endpoint)

    async def _requeue(self, row: asyncpg.Record, wait: float) -> None:
        when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait)
        await sending.requeue(self._pool, row, not_before=when)

    async def _settle(self, row: asyncpg.Record, outcome: Outcome, *, endpoint: str = "") -> None:
        now = dt.datetime.now(dt.UTC)
        attempts = row["attempts"] + 1
        status: str = outcome.result
        not_before = now
        if outcome.result == "retry":
            if attempts >= self._max_attempts:
                status = "failed"  # dead letter: the province may re-send it
            else:
                status = "queued"
                delay = backoff_seconds(
                    attempts, initial=self._retry_initial, maximum=self._retry_max
                )
                not_before = now + dt.timedelta(seconds=delay)
        elif outcome.result == "throttled":
            status = "queued"
            not_before = now + dt.timedelta(seconds=self._throttle_hold)
        metrics.record_delivery(row["channel"], row["kind"], outcome.result, status)
        settlement = sending.Settlement(
            delivery_id=row["id"],
            status=status,
            not_before=not_before,
            result=outcome.result,
            reason=outcome.reason,
            http_status=outcome.http_status,
        )
        if outcome.result == "throttled":
            await sending.settle(self._pool, settlement, hold=endpoint)
            await self._release_ahead(endpoint)  # held: none of its messages go out meanwhile
            return
        self._settlements.add(settlement)
        if self._settlements.pending >= self._settlements.most:
            await self._settlements.flush()  # the database is behind: send no more until then


class Settlements:
    """Settles finished sends a few at a time (``sending.settle_many``): one statement, one
    transaction and one round trip for the sends that finished within ``linger`` seconds of
    each other, where each send used to have its own.

    A send's slot is free once it is handed over here: its delivery stays leased (claimed
    with a lease of ``LEASE_SECONDS``) until the settle commits, so no sender takes it again
    in between, and a sender that dies first leaves it to be sent again once the lease lapses,
    as a sender that died during the send always did (at least once).

    ``linger`` is 0.1 s, not less: a slot is free before its settle, so lingering delays only
    the status; but with sends finishing at 50 a second (a loaded machine, or slow receivers)
    20 ms grouped one or two, and each statement costs its round trip, plan and commit."""

    def __init__(self, pool: asyncpg.Pool, *, linger: float = 0.1, most: int = 500) -> None:
        self._pool, self._linger, self.most = pool, linger, most
        self._waiting: list[sending.Settlement] = []
        self._writer: asyncio.Task[None] | None = None
        self._now = asyncio.Event()  # write without lingering: full, or flushed
        self._flushing = 0

    @property
    def pending(self) -> int:
        return len(self._waiting)

    def add(self, settlement: sending.Settlement) -> None:
        self._waiting.append(settlement)
        if len(self._waiting) >= self.most:
            self._now.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    async def flush(self) -> None:
        """Until everything added so far (and since) is written."""
        self._flushing += 1
        self._now.set()
        try:
            while self._writer is not None and not self._writer.done():
                await asyncio.wait([self._writer])
        finally:
            self._flushing -= 1

    async def _write(self) -> None:
        while self._waiting:
            if not self._now.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._now.wait(), self._linger)
            batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
            if len(self._waiting) < self.most and not self._flushing:
                self._now.clear()
            try:
                await sending.settle_many(self._pool, batch)
            except Exception:
                # One delivery's trouble (or a deadlock with another sender over a lapsed
                # lease) must not fail the others: each again on its own.
                for settlement in batch:
                    try:
                        await sending.settle_many(self._pool, [settlement])
                    except Exception as error:
                        log.warning(
                            "delivery %s not settled (sent again once its lease lapses): %s",
                            settlement.delivery_id,
                            error,
                        )
