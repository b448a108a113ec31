"""Which outbox lanes a relay owns: session advisory locks on one lease connection.

A relay owns a lane while its lease session holds the advisory lock ``(LANE_LOCK_CLASS, lane)``.
That session can end while the process lives (PostgreSQL restart, failover, an idle
connection dropped, ``pg_terminate_backend``); its locks then go, and another relay may take
the lanes. Three things keep one publisher per lane through that:

- every round checks the lease (the connection answers and ``pg_locks`` still lists our
  locks), beside its first claim; a lost lease drops all lanes and reconnects before taking
  any again;
- every claim is fenced: it only returns rows of lanes the lease session holds at that moment
  (``claims.CLAIM``), so a relay that has not noticed yet claims nothing;
- claim transactions hold ``(CLAIM_LOCK_CLASS, lane)`` shared, and a relay that takes a lane
  first takes that lock exclusively, so it waits until the previous owner's claimed batches
  are committed or rolled back before it sends anything of that lane.

A relay whose session was cut sits out for ``rejoin_delay_seconds`` before it takes lanes
again. Without the pause it raced its healthy peers for the lanes it had just lost, and as
often as not took them all back at once (one statement takes every free lane), so a replica
whose connection keeps breaking could hold on to the lanes while a sound one stood by. Alone,
it takes them back after the pause.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

from shared.messaging.outbox import OUTBOX_LANES

log = logging.getLogger(__name__)

LANE_LOCK_CLASS = 0x0B0C  # session locks: lane ownership
CLAIM_LOCK_CLASS = 0x0B0D  # transaction locks: batches claimed in a lane

_TAKE = "SELECT lane FROM unnest($1::int[]) AS lane WHERE pg_try_advisory_lock($2, lane)"
_RELEASE = "SELECT pg_advisory_unlock($1, $2)"
_HELD = """
SELECT objid::int8 AS lane FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = $1 AND objsubid = 2
  AND granted
"""
_WAIT_FOR_PREVIOUS_OWNER = (
    "SELECT pg_advisory_xact_lock($2, lane) FROM unnest($1::int[]) AS lane ORDER BY lane"
)
_CHECK_TIMEOUT_SECONDS = 10.0
# Acquire and release of pool connections: asyncpg waits for ever by default, and a
# connection broken by a server restart can leave its release hanging; with a timeout the
# pool terminates it instead, and the caller's round fails and is retried.
POOL_TIMEOUT_SECONDS = 30.0

# OSError covers refused connections and timeouts (TimeoutError is an OSError).
LEASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class LaneLease:
    def __init__(
        self,
        *,
        dsn: str,
        pool: asyncpg.Pool,
        max_lanes: int = OUTBOX_LANES,
        on_notify: Callable[[], None] = lambda: None,
        handover_timeout_seconds: float = 60.0,
        rejoin_delay_seconds: float = 2.0,
    ) -> None:
        self._dsn = dsn
        self._pool = pool
        self._max_lanes = max_lanes
        self._on_notify = on_notify
        self._handover_timeout = handover_timeout_seconds
        self._rejoin_delay = rejoin_delay_seconds
        self._rejoin_at = 0.0  # event-loop time before which no lane is taken
        self._connection: asyncpg.Connection | None = None
        self._lanes: list[int] = []

    @property
    def lanes(self) -> list[int]:
        return list(self._lanes)

    @property
    def pid(self) -> int | None:
        """The lease session's backend pid (claims check its locks)."""
        return self._connection.get_server_pid() if self._connection is not None else None

    async def open(self) -> None:
        """Connect the lease session (lane locks and LISTEN live on it)."""
        if self._connection is None:
            connection = await asyncpg.connect(self._dsn)
            await connection.add_listener("outbox_inserted", lambda *_: self._on_notify())
            self._connection = connection

    async def close(self) -> None:
        """End the session: its locks go with it, so the lanes are free for others."""
        connection, self._connection, self._lanes = self._connection, None, []
        if connection is None or connection.is_closed():
            return
        try:
            await asyncio.wait_for(connection.close(), _CHECK_TIMEOUT_SECONDS)
        except LEASE_ERRORS:
            connection.terminate()

    async def verify(self) -> bool:
        """Check the session still holds our locks; on a lost lease drop every lane and
        reconnect (so nothing is published until lanes are taken again). True if intact."""
        connection = self._connection
        try:
            if connection is None or connection.is_closed():
                raise ConnectionError("the lease connection is closed")
            rows = await connection.fetch(_HELD, LANE_LOCK_CLASS, timeout=_CHECK_TIMEOUT_SECONDS)
        except LEASE_ERRORS as exc:
            if self._lanes:
                log.warning("outbox lease lost (%s): dropping lanes %s", exc, self._lanes)
                self._rejoin_at = asyncio.get_running_loop().time() + self._rejoin_delay
            await self.close()
            await self.open()
            return False
        held = {row["lane"] for row in rows}
        lost = [lane for lane in self._lanes if lane not in held]
        if lost:
            log.warning("outbox lanes %s no longer held: dropping them", lost)
            self._lanes = [lane for lane in self._lanes if lane in held]
        return not lost

    async def take_free_lanes(self) -> list[int]:
        """Lock the lanes no other relay holds, up to ``max_lanes``; returns all we own."""
        await self.verify()
        if self._connection is None:  # verify() reconnects after a lost lease, or raises
            raise ConnectionError("the lease connection is closed")
        if asyncio.get_running_loop().time() < self._rejoin_at:
            return self.lanes  # sitting out after a lost lease: peers take the lanes first
        wanted = self._max_lanes - len(self._lanes)
        if wanted <= 0:
            return self.lanes
        free = [lane for lane in range(OUTBOX_LANES) if lane not in self._lanes]
        rows = await self._connection.fetch(_TAKE, free, LANE_LOCK_CLASS)
        taken = [row["lane"] for row in rows]
        # Keep what we may own; hand back any surplus at once.
        for lane in taken[wanted:]:
            await self._connection.execute(_RELEASE, LANE_LOCK_CLASS, lane)
        taken = taken[:wanted]
        if taken:
            try:
                await self._wait_for_previous_owner(taken)
            except BaseException:
                for lane in taken:
                    await self._connection.execute(_RELEASE, LANE_LOCK_CLASS, lane)
                raise
            self._lanes.extend(taken)
        return self.lanes

    async def _wait_for_previous_owner(self, lanes: list[int]) -> None:
        """Until every batch another relay claimed in these lanes has ended; otherwise our
        claims (``SKIP LOCKED``) would pass its rows and send newer events first."""
        async with (
            self._pool.acquire(timeout=POOL_TIMEOUT_SECONDS) as connection,
            connection.transaction(),
        ):
            await connection.execute(
                f"SET LOCAL lock_timeout = '{int(self._handover_timeout * 1000)}ms'"
            )
            await connection.execute(_WAIT_FOR_PREVIOUS_OWNER, lanes, CLAIM_LOCK_CLASS)
