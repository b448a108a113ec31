"""The outbox relay: the only path by which domain events reach Kafka.

Ownership: rows are spread over lanes by key (``outbox.lane_of``); a relay owns lanes through
advisory locks of its lease session (``lanes.LaneLease``), so one replica publishes a lane at
a time and each entity's events leave in commit order. Claims are fenced by that lease.

Publishing is pipelined (three batches deep by default): batch N+1 is claimed (``FOR UPDATE
SKIP LOCKED`` skips the rows batch N still holds) and queued on the producer while batch N
waits for its acknowledgements (acks=all). Each batch is marked published once acknowledged
and committed strictly in order; if one fails, every batch behind it is rolled back too, so a
lane is re-sent from its oldest unpublished row. Each claimed batch goes to the producer as record batches, one per
partition (``RecordBatches``), the records those ``send`` would make. Per-key order through
failures: a record batch is written whole or not at all, and an event whose key's previous
event is in another record batch is added only once that one is acknowledged, so a lost send
can never be overtaken by a later event of its key that is delivered (the consumer would apply
e2, then e1). Delivery is at least once; consumers drop duplicates through their inbox.

Between notifications the run loop keeps its next claim transaction open (``BEGIN`` and the
claim locks, nothing else: no snapshot, no transaction id, no lock on the table), so a
notification costs the claim alone; it ends with the round that finds the lease changed.

The run loop wakes on ``LISTEN outbox_inserted`` and polls as a fallback; a failed round (Kafka
or PostgreSQL) is logged, counted and retried with capped exponential backoff; published rows
are purged on a schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
from aiokafka import AIOKafkaProducer

from shared import metrics
from shared.messaging.claims import CLAIM, begin_claim
from shared.messaging.lanes import (
    LANE_LOCK_CLASS,
    POOL_TIMEOUT_SECONDS,
    LaneLease,
)
from shared.messaging.outbox import OUTBOX_LANES
from shared.messaging.record_batches import RecordBatches, trace_publish
from shared.messaging.upkeep import (
    BACKLOG_MEASURE_INTERVAL_SECONDS,
    measure_backlog,
    measure_backlog_quietly,
    purge_published,
)
from shared.messaging.waits import set_before_all_done, wait_for_any
from shared.service.heap import freeze_startup_heap, thaw

log = logging.getLogger(__name__)

# How many rows are handed to the producer between two turns of the event loop.
_SENDS_BETWEEN_YIELDS = 50
# A claimed batch of at least this many rows goes to the producer as record batches built
# here; a smaller one (a steady trickle) record by record, whose records join a partition's
# batch still waiting for the request in flight, where a whole record batch would wait for it
# to leave first, a round trip more of commit-to-publish latency.
RECORD_BATCHES_FROM_ROWS = 64
_MARK_PUBLISHED = "UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY($1::bigint[])"


@dataclass
class _InFlight:
    connection: asyncpg.pool.PoolConnectionProxy  # in the claim's transaction (``begin_claim``)
    rows: list[asyncpg.Record]
    acknowledgements: list[asyncio.Future[object]] = field(default_factory=list)


class OutboxRelay:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        dsn: str,
        batch_size: int = 500,
        poll_interval_seconds: float = 1.0,
        max_lanes: int = OUTBOX_LANES,
        pipeline_depth: int = 3,
        retention_days: int = 7,
        purge_interval_seconds: float = 3600.0,
        retry_initial_seconds: float = 0.5,
        retry_max_seconds: float = 30.0,
        record_batches_from_rows: int = RECORD_BATCHES_FROM_ROWS,
        on_progress: Callable[[], None] = lambda: None,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval = poll_interval_seconds
        self._pipeline_depth = max(1, pipeline_depth)
        self._retention_days = retention_days
        self._purge_interval = purge_interval_seconds
        self._retry_initial = retry_initial_seconds
        self._retry_max = retry_max_seconds
        self._record_batches_from_rows = record_batches_from_rows
        self._on_progress = on_progress  # liveness: a batch committed or a round completed
        self._wake = asyncio.Event()
        # The run loop's next claim transaction, open: its lanes, lease and connection (``_claim``).
        self._waiting: tuple[list[int], int | None, _InFlight] | None = None
        self._lease = LaneLease(dsn=dsn, pool=pool, max_lanes=max_lanes, on_notify=self._wake.set)

    @property
    def lanes(self) -> list[int]:
        return self._lease.lanes

    @property
    def lease_pid(self) -> int | None:
        return self._lease.pid

    async def open(self) -> None:
        await self._lease.open()

    async def close(self) -> None:
        try:
            await self._end_waiting()
        finally:
            await self._lease.close()

    async def take_free_lanes(self) -> list[int]:
        """Check the lease, then lock the lanes no other relay holds, up to ``max_lanes``."""
        # The open claim's shared claim locks would hold up our own wait for a lane's previous
        # owner if we took back a lane we had lost.
        await self._end_waiting()
        return await self._lease.take_free_lanes()

    async def publish_available(self, more: asyncio.Event | None = None) -> int:
        """Publish everything now unpublished in this relay's lanes; returns the count.

        The next claim runs on another connection while this batch is queued on the producer,
        and each batch's acknowledgement wait, mark and commit runs while later batches are
        sent; commits are chained, so none commits before the batch ahead of it. The first
        failure anywhere stops sending and rolls back every unfinished batch.

        With ``more`` (the run loop's wake), a claim that comes back empty while batches are
        still finishing is followed by another as soon as ``more`` is set (it is cleared
        first), for up to the poll interval: an event committed then is claimed at once, not
        after the round's last acknowledgement, mark and commit and the next round's lease
        check. Its batch joins the same chain, so commits stay in order and its keys wait for
        their previous events' acknowledgements as within one round.
        """
        # Holding lanes, the lease check (and taking lanes now free) runs beside the round's
        # first claim: it was a round trip before every claim, and a claim is fenced by the
        # lease session anyway, so one run after the session ended claims nothing.
        lanes, lease_pid = self._lease.lanes, self._lease.pid
        lease_check = asyncio.create_task(self._lease.take_free_lanes()) if lanes else None
        if lease_check is None:
            lanes, lease_pid = await self.take_free_lanes(), self._lease.pid
            if not lanes:
                return 0

        def keep_open() -> bool:
            """An empty claim's transaction stays open for the next notification (run loop
            only) once the lease check is through and left the lanes as they were."""
            checked = lease_check is None or lease_check.done()
            return more is not None and checked and self._lease.lanes == lanes

        batches = RecordBatches(self._producer)
        finishing: list[asyncio.Task[int]] = []
        loop = asyncio.get_running_loop()
        claim_more_until = loop.time() + self._poll_interval
        claim = asyncio.create_task(self._claim(lanes, lease_pid, keep_open))
        try:
            while True:
                batch = await claim
                if batch is None:
                    if (
                        more is None
                        or loop.time() >= claim_more_until
                        or not await set_before_all_done(more, finishing)
                    ):
                        break
                    more.clear()
                    claim = asyncio.create_task(self._claim(lanes, lease_pid, keep_open))
                    continue
                claim = asyncio.create_task(
                    self._open_waiting(lanes, lease_pid)
                    if len(batch.rows) < self._batch_size and keep_open()
                    else self._claim(lanes, lease_pid, keep_open)
                )
                try:
                    _raise_if_failed(finishing)
                    for n, row in enumerate(batch.rows, 1):
                        if n % _SENDS_BETWEEN_YIELDS == 0:
                            # Adding a record to a batch never yields: without this the next
                            # claim and the batches finishing behind (each a few round
                            # trips) would wait for the whole batch.
                            await asyncio.sleep(0)
                        if row["traceparent"]:
                            trace_publish(row)
                        if len(batch.rows) >= self._record_batches_from_rows:
                            await batches.add(row)
                        else:
                            await batches.send(row)
                    batch.acknowledgements.extend(await batches.hand_over_all())
                except BaseException:
                    await self._abandon(batch)
                    raise
                previous = finishing[-1] if finishing else None
                finishing.append(asyncio.create_task(self._finish_after(previous, batch)))
                if len(finishing) >= self._pipeline_depth:
                    await finishing[-self._pipeline_depth]
            if lease_check is not None:
                await lease_check
            if keep_open():  # the check was still running when the last claim came back
                await self._open_waiting(lanes, lease_pid)
            return sum(await asyncio.gather(*finishing))
        except BaseException:
            claim.cancel()
            checking = [lease_check] if lease_check is not None else []
            late = await asyncio.gather(claim, *finishing, *checking, return_exceptions=True)
            if isinstance(late[0], _InFlight):
                await self._abandon(late[0])
            raise

    async def _claim(
        self, lanes: list[int], lease_pid: int | None, keep_open: Callable[[], bool]
    ) -> _InFlight | None:
        """Claim a batch, in the open claim transaction if there is one for these lanes; an
        empty claim's transaction is rolled back, and with ``keep_open()`` begun again at
        once (one round trip, as the rollback alone) and kept for the next claim.

        While it waits it holds the lanes' claim locks and nothing else: the claim's lock on
        the table ends with the rollback, and between statements a READ COMMITTED transaction
        holds no snapshot. A relay taking one of the lanes over waits for it, so it ends with
        the first round that finds the lease changed (at the latest the next poll)."""
        waiting, self._waiting = self._waiting, None
        if waiting is not None and waiting[:2] != (lanes, lease_pid):
            await self._abandon(waiting[2])
            waiting = None
        batch = waiting[2] if waiting is not None else await self._begin(lanes)
        try:
            batch.rows = await batch.connection.fetch(
                CLAIM, lanes, self._batch_size, lease_pid, LANE_LOCK_CLASS
            )
            if not batch.rows and self._waiting is None and keep_open():
                await batch.connection.execute("ROLLBACK;" + begin_claim(lanes))
                self._waiting = (lanes, lease_pid, batch)
                return None
        except BaseException:
            await self._abandon(batch)
            raise
        if not batch.rows:
            await self._abandon(batch)
            return None
        return batch

    async def _open_waiting(self, lanes: list[int], lease_pid: int | None) -> _InFlight | None:
        """After a batch short of the limit (run loop, lease checked): it took all there was,
        so the next claim's transaction is opened for the next notification (one round trip),
        not claimed in at once (an empty claim and the rollback, two, beside the batch just
        sent). Nothing is lost: the wake is cleared before every claim that follows it."""
        if self._waiting is None:
            self._waiting = (lanes, lease_pid, await self._begin(lanes))
        return None

    async def _begin(self, lanes: list[int]) -> _InFlight:
        """A connection in a new claim transaction of ``lanes`` (``begin_claim``)."""
        batch = _InFlight(await self._pool.acquire(timeout=POOL_TIMEOUT_SECONDS), [])
        try:
            await batch.connection.execute(begin_claim(lanes))
        except BaseException:
            await self._abandon(batch)
            raise
        return batch

    async def _end_waiting(self) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            await self._abandon(waiting[2])

    async def _abandon(self, batch: _InFlight) -> None:
        try:
            # Not when the connection died or BEGIN never ran: there is nothing to roll back.
            if not batch.connection.is_closed() and batch.connection.is_in_transaction():
                await batch.connection.execute("ROLLBACK")
        finally:
            await self._pool.release(batch.connection, timeout=POOL_TIMEOUT_SECONDS)

    async def _finish_after(self, previous: asyncio.Task[int] | None, batch: _InFlight) -> int:
        """Mark the batch once acknowledged, commit once the batch ahead has committed.

        The mark runs beside the batch ahead's mark and commit (on its own connection; they
        share no rows): waiting for the commit ahead first made every batch's mark wait for all
        the marks before it, one statement at a time. Uncommitted, it is rolled back with the
        batch if the batch ahead fails, and that failure stops the wait for acknowledgements.
        """
        try:
            waiting: list[asyncio.Future[object] | asyncio.Task[int]] = [*batch.acknowledgements]
            if previous is not None:
                waiting.append(previous)
            if waiting:
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_EXCEPTION)
                for future in done:
                    future.result()  # a failed acknowledgement, or the batch ahead failed
            await batch.connection.execute(_MARK_PUBLISHED, [row["id"] for row in batch.rows])
            if previous is not None:
                await previous  # raises if the batch ahead failed: then this one must not commit
            await batch.connection.execute("COMMIT")
        except BaseException:
            await self._abandon(batch)
            raise
        await self._pool.release(batch.connection, timeout=POOL_TIMEOUT_SECONDS)
        metrics.record_published(len(batch.rows))
        self._on_progress()  # a long backlog is progress too, not a stalled loop
        return len(batch.rows)

    async def drain(self) -> int:
        """Open, publish what is there, close (tests, benchmarks, one-off runs)."""
        await self.open()
        try:
            return await self.publish_available()
        finally:
            await self.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop``; a failed round (any error but cancellation: Kafka,
        PostgreSQL, a lost lease) is logged, counted and retried after a capped backoff."""
        # What the process holds when its relay starts (modules, settings, clients) lives as
        # long as the relay: frozen, a full collection no longer walks it. Unfrozen, each full
        # collection (about one every ten seconds at 1,000 events/s) stopped the loop for
        # 15 ms or more (100-400 ms on a loaded machine), and the events in flight waited.
        # Thawed when the relay stops, so a process that goes on (a test) is left as it was.
        freeze_startup_heap()
        loop = asyncio.get_running_loop()
        next_purge = loop.time()
        next_measure = loop.time()
        delay = self._retry_initial
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    if loop.time() >= next_purge:
                        next_purge = loop.time() + self._purge_interval
                        metrics.record_purged(await self.purge_published())
                    sent = await self.publish_available(self._wake)
                    if not sent or loop.time() >= next_measure:
                        next_measure = loop.time() + BACKLOG_MEASURE_INTERVAL_SECONDS
                        await measure_backlog(self._pool)
                except Exception as exc:
                    metrics.record_relay_failure(exc)
                    with contextlib.suppress(Exception):  # its connection may be the failure
                        await self._end_waiting()
                    if loop.time() >= next_measure:  # a backlog that grows while Kafka is away
                        next_measure = loop.time() + BACKLOG_MEASURE_INTERVAL_SECONDS
                        await measure_backlog_quietly(self._pool)
                    log.warning(
                        "outbox round failed, retrying in %.1f s: %s: %s",
                        delay,
                        type(exc).__name__,
                        exc,
                    )
                    await wait_for_any(stop, timeout=delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                delay = self._retry_initial
                self._on_progress()
                if not sent or not self._wake.is_set():
                    # A round ends when its last claim found nothing more (empty, or short of
                    # the limit): whatever committed before it has been published, and whatever
                    # committed after notified (the wake is cleared before the round and before
                    # each claim that follows a notification). Going round again at once only
                    # bought an empty claim and a backlog count, round trips that held up the
                    # next event's round when its notification came in the middle of them.
                    await wait_for_any(stop, self._wake, timeout=self._poll_interval)
        finally:
            thaw()
            await self.close()

    async def purge_published(self) -> int:
        return await purge_published(self._pool, self._retention_days)


def _raise_if_failed(finishing: list[asyncio.Task[int]]) -> None:
    """Stop sending newer rows as soon as a batch ahead has failed."""
    for task in finishing:
        if task.done() and not task.cancelled() and task.exception() is not None:
            task.result()
