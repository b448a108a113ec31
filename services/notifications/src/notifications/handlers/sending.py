"""The sender's transactions on the ledger: claim what is due, hand back what it cannot take
yet, count a robot's sends, and settle deliveries with their attempts (each short, on its own:
the sender sends outside any transaction)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from notifications.db import queries
from notifications.handlers.common import Pool, Row


async def claim_due(
    pool: Pool, *, limit: int, lease_seconds: float, saturated: list[str]
) -> list[Row]:
    """Due deliveries of endpoints neither held nor ``saturated``, leased for ``lease_seconds``
    (a sender that dies mid-send leaves the lease to lapse)."""
    return list(await pool.fetch(queries.CLAIM_DUE, limit, lease_seconds, saturated))


async def release(pool: Pool, delivery_ids: list[uuid.UUID]) -> None:
    """Claimed beyond an endpoint's slots: back to the queue at once."""
    await pool.execute(queries.RELEASE, delivery_ids)


async def robot_slot(pool: Pool, endpoint: str, *, per_minute: int, window: float) -> float:
    """0 and the send is counted, or the seconds until a slot of the robot frees; counted in
    PostgreSQL so that every sender replica shares the robot's limit."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(queries.LOCK_ENDPOINT, endpoint)
        sent = await connection.fetchrow(queries.ROBOT_WINDOW, endpoint, window)
        if sent["sent"] < per_minute:
            await connection.execute(queries.ROBOT_SEND, endpoint)
            return 0.0
        return max(0.01, float(sent["frees_in"]))


async def requeue(pool: Pool, delivery: Row, *, not_before: dt.datetime) -> None:
    """Back to the queue until ``not_before``, no attempt counted (a robot over its pace)."""
    await pool.execute(queries.SETTLE, delivery["id"], "queued", delivery["reason"], 0, not_before)


@dataclass(frozen=True)
class Settlement:
    """One send's end: the delivery's new status and its attempt row."""

    delivery_id: uuid.UUID
    status: str
    not_before: dt.datetime
    result: str
    reason: str | None
    http_status: int | None


def _settle_arguments(settlements: Sequence[Settlement]) -> tuple[object, ...]:
    return (
        queries.SETTLE_WITH_ATTEMPTS,
        [s.delivery_id for s in settlements],
        [s.status for s in settlements],
        [s.reason for s in settlements],
        [s.not_before for s in settlements],
        [s.result for s in settlements],
        [s.http_status for s in settlements],
    )


async def settle_many(pool: Pool, settlements: Sequence[Settlement]) -> None:
    """Each delivery's new status and its attempt row, in one statement."""
    await pool.execute(*_settle_arguments(settlements))


async def settle(pool: Pool, settlement: Settlement, *, hold: str | None = None) -> None:
    """The delivery's new status and its attempt row; ``hold``: the endpoint that asked us to
    slow down, held until ``not_before`` in the same transaction."""
    if hold is None:
        await settle_many(pool, [settlement])
        return
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(*_settle_arguments([settlement]))
        await connection.execute(
            queries.HOLD_ENDPOINT, hold, settlement.not_before, settlement.reason
        )
