"""``/v1/deliveries``: the delivery ledger. The province reads every delivery in its province,
a city or county bureau those of its own office; the province re-sends a failed one (audited).
Acknowledging a message (by the inbox or by the link in it, ``routes/acknowledgements.py``)
is here: it acknowledges the message on every channel it went out on."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

import asyncpg
from fastapi import APIRouter, Query, Request

from notifications.api.schemas import Acknowledged, Attempt, DeliveryPublic
from notifications.db import queries
from notifications.db.repository import attempts_of
from shared import audit
from shared.auth import CurrentPrincipal
from shared.auth.scope import may_resend_deliveries, office_scope
from shared.http import catalogue
from shared.http.idempotency import claim_idempotency_key
from shared.http.pagination import Page, PageLimit, encode_cursor, read_cursor
from shared.http.problems import ProblemError, forbidden, not_found
from shared.i18n import t

router = APIRouter(tags=["deliveries"])

Status = Literal["queued", "sent", "delivered", "acknowledged", "failed"]


def public(row: asyncpg.Record, history: list[asyncpg.Record]) -> DeliveryPublic:
    values = dict(row)
    # The link acknowledges on the recipient's behalf: only the recipient gets it.
    values["payload"] = {k: v for k, v in (row["payload"] or {}).items() if k != "ack_url"}
    return DeliveryPublic(
        **{k: v for k, v in values.items() if k in DeliveryPublic.model_fields},
        attempt_history=[Attempt(**dict(attempt)) for attempt in history],
    )


@router.get("/v1/deliveries", response_model=Page[DeliveryPublic])
async def list_deliveries(
    request: Request,
    principal: CurrentPrincipal,
    status: Status | None = None,
    channel: str | None = Query(default=None, max_length=20),
    subject_id: str | None = Query(default=None, max_length=200),
    event_id: str | None = Query(default=None, max_length=200),
    cursor: str | None = None,
    limit: PageLimit = 50,
) -> Page[DeliveryPublic]:
    scope = office_scope(principal)
    if scope is None:
        raise forbidden(
            t(
                "投递记录由省厅查阅，各部门仅查阅本部门的",
                "deliveries are read by the province and by each bureau for itself",
            )
        )
    created_at, last_id = read_cursor(
        cursor, lambda p: (dt.datetime.fromisoformat(p["created_at"]), uuid.UUID(p["id"]))
    ) or (None, None)
    pool: asyncpg.Pool = request.app.state.pool
    fetched: list[asyncpg.Record] = []
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            queries.LIST_DELIVERIES,
            None if scope.everything else scope.region_pattern,
            status,
            channel,
            subject_id,
            event_id,
            created_at,
            last_id,
            limit + 1,
        )
        # A bureau sees its own office only: the role is checked here, the region in SQL.
        fetched = [row for row in rows if scope.covers(row["region_code"], row["role"])]
        history = await attempts_of(connection, [row["id"] for row in fetched[:limit]])
    items = [public(row, history[row["id"]]) for row in fetched[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(
            {"created_at": last["created_at"].isoformat(), "id": str(last["id"])}
        )
    return Page[DeliveryPublic](items=items, next_cursor=next_cursor)


@router.post(
    "/v1/deliveries/{delivery_id}/resend",
    response_model=DeliveryPublic,
    responses={409: {"description": "the delivery has not failed"}},
)
async def resend(
    request: Request, delivery_id: uuid.UUID, principal: CurrentPrincipal
) -> DeliveryPublic:
    """Queue a failed delivery again (the province only; audited)."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(queries.DELIVERY + " FOR UPDATE", delivery_id)
        scope = office_scope(principal)
        if row is None or scope is None or not scope.covers(row["region_code"], row["role"]):
            raise not_found(t("投递记录", "delivery"), str(delivery_id))
        if not may_resend_deliveries(principal, region_code=row["region_code"]):
            raise forbidden(t("仅省厅可重新投递", "only the province re-sends a delivery"))
        if row["status"] != "failed":
            raise ProblemError(
                catalogue.DELIVERY_NOT_FAILED,
                t(f"该投递的状态为 {row['status']}", f"the delivery is {row['status']}"),
            )
        updated = await connection.fetchrow(queries.RESEND, delivery_id)
        history = await attempts_of(connection, [delivery_id])
        body = public(updated, history[delivery_id])
        await claim_idempotency_key(
            connection, request, status_code=200, content=body.model_dump(mode="json")
        )
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="delivery.resent",
            resource_type="delivery",
            resource_id=delivery_id,
            region_code=row["region_code"],
            before={"status": "failed", "reason": row["reason"]},
            after={"status": "queued"},
        )
    return body


async def acknowledge(
    pool: asyncpg.Pool, delivery_id: uuid.UUID, *, actor: audit.Actor | None
) -> Acknowledged:
    async with pool.acquire() as connection, connection.transaction():
        return await acknowledge_on(connection, delivery_id, actor=actor)


async def acknowledge_on(
    connection: asyncpg.Connection, delivery_id: uuid.UUID, *, actor: audit.Actor | None
) -> Acknowledged:
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
    return Acknowledged(
        delivery_id=delivery_id,
        acknowledged=len(changed),
        already=not changed,
        acknowledged_at=first,
    )
