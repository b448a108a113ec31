"""``/v1/deliveries``: the delivery ledger. The province reads every delivery in its province,
a city or county bureau those of its own office; the province re-sends a failed one (audited).
Acknowledging a message (by the inbox or by the link in it, ``routes/acknowledgements.py``)
acknowledges it on every channel it went out on."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal

from fastapi import APIRouter, Query

from notifications.api.deps import Key, Pool
from notifications.api.schemas import Acknowledged, Attempt, DeliveryPublic
from notifications.handlers import deliveries
from notifications.handlers.acknowledgements import Acknowledgement
from notifications.handlers.deliveries import Delivery
from shared.auth import CurrentPrincipal
from shared.http.pagination import Page, PageQuery

router = APIRouter(tags=["deliveries"])

Status = Literal["queued", "sent", "delivered", "acknowledged", "failed"]


def public(row: Mapping[str, Any], history: list[Mapping[str, Any]]) -> DeliveryPublic:
    values = dict(row)
    # The link acknowledges on the recipient's behalf: only the recipient gets it.
    values["payload"] = {k: v for k, v in (row["payload"] or {}).items() if k != "ack_url"}
    return DeliveryPublic(
        **{k: v for k, v in values.items() if k in DeliveryPublic.model_fields},
        attempt_history=[Attempt(**dict(attempt)) for attempt in history],
    )


def _public(delivery: Delivery) -> DeliveryPublic:
    row, history = delivery
    return public(row, history)


def acknowledged(done: Acknowledgement) -> Acknowledged:
    return Acknowledged(
        delivery_id=done.delivery_id,
        acknowledged=done.acknowledged,
        already=done.already,
        acknowledged_at=done.acknowledged_at,
    )


@router.get("/v1/deliveries", response_model=Page[DeliveryPublic])
async def list_deliveries(
    principal: CurrentPrincipal,
    pool: Pool,
    asked: PageQuery,
    status: Status | None = None,
    channel: str | None = Query(default=None, max_length=20),
    subject_id: str | None = Query(default=None, max_length=200),
    event_id: str | None = Query(default=None, max_length=200),
) -> Page[DeliveryPublic]:
    page = await deliveries.list_deliveries(
        pool,
        principal,
        status=status,
        channel=channel,
        subject_id=subject_id,
        event_id=event_id,
        cursor=asked.cursor,
        limit=asked.limit,
    )
    return Page[DeliveryPublic](
        items=[_public(item) for item in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/v1/deliveries/{delivery_id}/resend",
    response_model=DeliveryPublic,
    responses={409: {"description": "the delivery has not failed"}},
)
async def resend(
    delivery_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool, key: Key
) -> DeliveryPublic:
    """Queue a failed delivery again (the province only; audited)."""
    resent = await deliveries.resend(
        pool, principal, delivery_id, before_commit=key.claim(_public, status_code=200)
    )
    return _public(resent)
