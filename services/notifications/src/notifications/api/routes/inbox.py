"""``/v1/inbox``: the in-app notifications addressed to the caller's office (region and role,
as ``shared.auth.scope.inbox_addresses`` decides) or enterprise. Read state is the caller's
own; acknowledgement is the office's (it stops the office's reminders)."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from notifications.api.routes.deliveries import acknowledge_on
from notifications.db import queries
from notifications.db.repository import list_for_addresses
from shared import audit
from shared.auth import CurrentPrincipal
from shared.auth.principal import Principal
from shared.auth.scope import inbox_addresses, inbox_enterprises
from shared.http.idempotency import claim_idempotency_key
from shared.http.pagination import Page, PageLimit, encode_cursor, read_cursor
from shared.http.problems import not_found
from shared.i18n import t

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])


class NotificationPublic(BaseModel):
    id: uuid.UUID
    recipient_region: str
    recipient_role: str
    kind: str
    title: str
    body: str
    subject_type: str | None
    subject_id: str | None
    trace_id: str | None
    recipient_enterprise: str | None = None
    created_at: dt.datetime
    read_at: dt.datetime | None
    acknowledged_at: dt.datetime | None = None


@router.get("", response_model=Page[NotificationPublic])
async def list_inbox(
    request: Request,
    principal: CurrentPrincipal,
    cursor: str | None = None,
    limit: PageLimit = 50,
    subject_id: str | None = None,
    unread: bool = Query(default=False, description="only what the caller has not read"),
) -> Page[NotificationPublic]:
    after = read_cursor(
        cursor, lambda p: (dt.datetime.fromisoformat(p["created_at"]), uuid.UUID(p["id"]))
    )
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        rows = await list_for_addresses(
            connection,
            addresses=inbox_addresses(principal),
            after=after,
            limit=limit + 1,
            subject_id=subject_id,
            enterprises=inbox_enterprises(principal),
            reader=principal.identity,
            unread_only=unread,
        )
    items = [NotificationPublic.model_validate(dict(row)) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor({"created_at": last.created_at.isoformat(), "id": str(last.id)})
    return Page[NotificationPublic](items=items, next_cursor=next_cursor)


def _addressed_to(principal: Principal, row: asyncpg.Record) -> bool:
    if (row["recipient_region"], row["recipient_role"]) in inbox_addresses(principal):
        return True
    return row["recipient_enterprise"] in inbox_enterprises(principal)


@router.post("/{notification_id}/read", response_model=NotificationPublic)
async def mark_read(
    request: Request, notification_id: uuid.UUID, principal: CurrentPrincipal
) -> NotificationPublic:
    """Mark one of the caller's notifications read for the caller (read state is not audited:
    no decision)."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(queries.INBOX_ITEM, notification_id, principal.identity)
        if row is None or not _addressed_to(principal, row):
            raise not_found(t("通知", "notification"), str(notification_id))
        await connection.execute(queries.MARK_READ, notification_id, principal.identity)
        updated = await connection.fetchrow(queries.INBOX_ITEM, notification_id, principal.identity)
        body = NotificationPublic.model_validate(dict(updated))
        await claim_idempotency_key(
            connection, request, status_code=200, content=body.model_dump(mode="json")
        )
    return body


@router.post("/{notification_id}/acknowledge", response_model=NotificationPublic)
async def acknowledge_notification(
    request: Request, notification_id: uuid.UUID, principal: CurrentPrincipal
) -> NotificationPublic:
    """Acknowledge a message: it stops reminding this office of the same list (audited)."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            queries.INBOX_ITEM + " FOR UPDATE OF n", notification_id, principal.identity
        )
        if row is None or not _addressed_to(principal, row):
            raise not_found(t("通知", "notification"), str(notification_id))
        actor = audit.Actor.of(principal)
        if row["delivery_id"] is not None:
            await acknowledge_on(connection, row["delivery_id"], actor=actor)
        else:  # written before the ledger existed: only the inbox row knows of it
            await connection.execute(queries.ACKNOWLEDGE_INBOX_ITEM, notification_id)
            if row["acknowledged_at"] is None:
                await audit.record_change(
                    connection,
                    actor=actor,
                    action="notification.acknowledged",
                    resource_type="notification",
                    resource_id=notification_id,
                    region_code=row["recipient_region"],
                )
        # acknowledging is reading it
        await connection.execute(queries.MARK_READ, notification_id, principal.identity)
        fresh = await connection.fetchrow(queries.INBOX_ITEM, notification_id, principal.identity)
        body = NotificationPublic.model_validate(dict(fresh))
        await claim_idempotency_key(
            connection, request, status_code=200, content=body.model_dump(mode="json")
        )
    return body
