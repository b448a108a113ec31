"""``/v1/inbox``: the in-app notifications addressed to the caller's office (region and role,
as ``shared.auth.scope.inbox_addresses`` decides) or enterprise. Read state is the caller's
own; acknowledgement is the office's (it stops the office's reminders)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Query

from notifications.api.deps import Key, Pool
from notifications.api.schemas import NotificationPublic
from notifications.handlers import inbox
from shared.auth import CurrentPrincipal
from shared.http.pagination import Page, PageLimit

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])


def public(row: Mapping[str, Any]) -> NotificationPublic:
    return NotificationPublic.model_validate(dict(row))


@router.get("", response_model=Page[NotificationPublic])
async def list_inbox(
    principal: CurrentPrincipal,
    pool: Pool,
    cursor: str | None = None,
    limit: PageLimit = 50,
    subject_id: str | None = None,
    unread: bool = Query(default=False, description="only what the caller has not read"),
) -> Page[NotificationPublic]:
    page = await inbox.list_inbox(
        pool, principal, cursor=cursor, limit=limit, subject_id=subject_id, unread_only=unread
    )
    return Page[NotificationPublic](
        items=[public(row) for row in page.items], next_cursor=page.next_cursor
    )


@router.post("/{notification_id}/read", response_model=NotificationPublic)
async def mark_read(
    notification_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool, key: Key
) -> NotificationPublic:
    """Mark one of the caller's notifications read for the caller (read state is not audited:
    no decision)."""
    row = await inbox.mark_read(
        pool, principal, notification_id, before_commit=key.claim(public, status_code=200)
    )
    return public(row)


@router.post("/{notification_id}/acknowledge", response_model=NotificationPublic)
async def acknowledge_notification(
    notification_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool, key: Key
) -> NotificationPublic:
    """Acknowledge a message: it stops reminding this office of the same list (audited)."""
    row = await inbox.acknowledge_notification(
        pool, principal, notification_id, before_commit=key.claim(public, status_code=200)
    )
    return public(row)
