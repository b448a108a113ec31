"""``/v1/inbox``: the in-app notifications addressed to the caller's office (region and role,
as ``shared.auth.scope.inbox_addresses`` decides)."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from notifications.db.repository import list_for_addresses
from shared.auth import CurrentPrincipal
from shared.auth.scope import inbox_addresses
from shared.http.pagination import Page, encode_cursor, read_cursor

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
    created_at: dt.datetime
    read_at: dt.datetime | None


@router.get("", response_model=Page[NotificationPublic])
async def list_inbox(
    request: Request,
    principal: CurrentPrincipal,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
    subject_id: str | None = None,
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
        )
    items = [NotificationPublic.model_validate(dict(row)) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor({"created_at": last.created_at.isoformat(), "id": str(last.id)})
    return Page[NotificationPublic](items=items, next_cursor=next_cursor)
