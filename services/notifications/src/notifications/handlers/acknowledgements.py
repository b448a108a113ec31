"""Acknowledging a message, by the inbox or by the signed link it carries: it is acknowledged
on every channel it went out on, once (a repeat changes nothing and records nothing)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from notifications.db import queries
from notifications.domain import ack_tokens
from notifications.handlers.common import Connection, Pool, Row
from shared import audit
from shared.http import catalogue
from shared.http.problems import ProblemError, not_found
from shared.i18n import t


@dataclass(frozen=True)
class Acknowledgement:
    delivery_id: uuid.UUID
    acknowledged: int  # deliveries of the message this call acknowledged (0: none new)
    already: bool  # the message had been acknowledged before this call
    acknowledged_at: dt.datetime | None  # when the message was first acknowledged


async def acknowledge(
    pool: Pool, delivery_id: uuid.UUID, *, actor: audit.Actor | None
) -> Acknowledgement:
    async with pool.acquire() as connection, connection.transaction():
        return await acknowledge_on(connection, delivery_id, actor=actor)


async def acknowledge_on(
    connection: Connection, delivery_id: uuid.UUID, *, actor: audit.Actor | None
) -> Acknowledgement:
    """Acknowledge a message on every channel it went out on, in the caller's transaction.
    ``actor`` None: by link, on behalf of the delivery's recipient office."""
    row = await connection.fetchrow(queries.DELIVERY, delivery_id)
    if row is None:
        raise not_found(t("投递记录", "delivery"), str(delivery_id))
    # Only rows not yet acknowledged change (their row locks serialise concurrent clicks), so
    # ``changed`` says what this call did and a repeat records nothing in the audit trail.
    changed = await connection.fetch(queries.ACKNOWLEDGE, delivery_id)
    await connection.execute(queries.ACKNOWLEDGE_INBOX, row["event_id"], row["recipient_key"])
    if changed:
        await audit.record_change(
            connection,
            actor=actor
            or audit.Actor(
                subject=f"ack-link:{row['recipient_key']}",
                roles=(row["role"],),
                region_code=row["region_code"],
            ),
            action="delivery.acknowledged",
            resource_type="delivery",
            resource_id=delivery_id,
            region_code=row["region_code"],
            before={"status": row["status"]},
            after={"status": "acknowledged"},
        )
    first = row["acknowledged_at"] or min((one["acknowledged_at"] for one in changed), default=None)
    return Acknowledgement(
        delivery_id=delivery_id,
        acknowledged=len(changed),
        already=not changed,
        acknowledged_at=first,
    )


async def delivery_by_link(pool: Pool, token: str, *, secret: str) -> Row:
    """The delivery a link's token names; a forged or expired token, or a delivery that no
    longer exists, is a problem (the route shows it as a page to a browser)."""
    try:
        delivery_id = ack_tokens.verify(token, secret=secret)
    except ack_tokens.InvalidAcknowledgement as error:
        raise ProblemError(catalogue.INVALID_ACKNOWLEDGEMENT_LINK, error.text) from error
    async with pool.acquire() as connection:
        row = await connection.fetchrow(queries.DELIVERY, delivery_id)
    if row is None:
        raise not_found(t("投递记录", "delivery"), str(delivery_id))
    return row


async def acknowledge_by_link(
    pool: Pool, token: str, *, secret: str
) -> tuple[Row, Acknowledgement]:
    """The delivery a link names, acknowledged on behalf of its recipient office."""
    row = await delivery_by_link(pool, token, secret=secret)
    return row, await acknowledge(pool, row["id"], actor=None)
