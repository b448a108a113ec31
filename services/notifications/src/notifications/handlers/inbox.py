"""The in-app notifications addressed to the caller's office (region and role, as
``shared.auth.scope.inbox_addresses`` decides) or enterprise. Read state is the caller's own;
acknowledgement is the office's (it stops the office's reminders)."""

from __future__ import annotations

import uuid

from notifications.db import queries
from notifications.db.repository import list_for_addresses
from notifications.handlers.acknowledgements import acknowledge_on
from notifications.handlers.common import (
    BeforeCommit,
    Pool,
    Row,
    Slice,
    newest_first_after,
    newest_first_next,
)
from shared import audit
from shared.auth.principal import Principal
from shared.auth.scope import inbox_addresses, inbox_enterprises
from shared.http.problems import not_found
from shared.i18n import t


async def list_inbox(
    pool: Pool,
    principal: Principal,
    *,
    cursor: str | None,
    limit: int,
    subject_id: str | None,
    unread_only: bool,
) -> Slice[Row]:
    after = newest_first_after(cursor)
    async with pool.acquire() as connection:
        rows = await list_for_addresses(
            connection,
            addresses=inbox_addresses(principal),
            after=after,
            limit=limit + 1,
            subject_id=subject_id,
            enterprises=inbox_enterprises(principal),
            reader=principal.identity,
            unread_only=unread_only,
        )
    return Slice(rows[:limit], newest_first_next(rows, limit))


def _addressed_to(principal: Principal, row: Row) -> bool:
    if (row["recipient_region"], row["recipient_role"]) in inbox_addresses(principal):
        return True
    return row["recipient_enterprise"] in inbox_enterprises(principal)


async def mark_read(
    pool: Pool, principal: Principal, notification_id: uuid.UUID, *, before_commit: BeforeCommit
) -> Row:
    """Mark one of the caller's notifications read for the caller (read state is not audited:
    no decision)."""
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(queries.INBOX_ITEM, notification_id, principal.identity)
        if row is None or not _addressed_to(principal, row):
            raise not_found(t("通知", "notification"), str(notification_id))
        await connection.execute(queries.MARK_READ, notification_id, principal.identity)
        updated = await connection.fetchrow(queries.INBOX_ITEM, notification_id, principal.identity)
        await before_commit(connection, updated)
    return updated


async def acknowledge_notification(
    pool: Pool, principal: Principal, notification_id: uuid.UUID, *, before_commit: BeforeCommit
) -> Row:
    """Acknowledge a message: it stops reminding this office of the same list (audited)."""
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            queries.INBOX_ITEM_FOR_UPDATE, notification_id, principal.identity
        )
        if row is None or not _addressed_to(principal, row):
            raise not_found(t("通知", "notification"), str(notification_id))
        actor = audit.Actor.of(principal)
        if row["delivery_id"] is not None:
            await acknowledge_on(connection, row["delivery_id"], actor=actor)
        else:  # written before the ledger existed: only the inbox row knows of it
            await connection.execute(queries.ACKNOWLEDGE_INBOX_ITEM, notification_id)
            if row["acknowledged_at"] is None:
                await audit.record_change_by(
                    connection,
                    actor,
                    "notification.acknowledged",
                    audit.Resource("notification", notification_id, row["recipient_region"]),
                )
        # acknowledging is reading it
        await connection.execute(queries.MARK_READ, notification_id, principal.identity)
        fresh = await connection.fetchrow(queries.INBOX_ITEM, notification_id, principal.identity)
        await before_commit(connection, fresh)
    return fresh
