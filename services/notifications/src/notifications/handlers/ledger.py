"""Fan-out into the delivery ledger: one office message becomes one delivery per channel
address (and one inbox row), each rendered with its own acknowledgement link. Runs on the
consumer's connection, inside the transaction that records the inbox (tracking) row, so the
(event, recipient, channel) keys and the effect commit together."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from notifications.db.repository import NewDelivery, insert_delivery, office_recipients
from notifications.domain.ack_tokens import Links
from notifications.domain.rendering import TEMPLATES_DIR, render


@dataclass(frozen=True, kw_only=True)
class Message:
    event_id: str
    kind: str
    region_code: str
    role: str
    subject_type: str | None
    subject_id: str | None
    context: dict[str, Any]
    payload: dict[str, Any]
    not_before: dt.datetime
    enterprise_id: str | None = None
    trace_id: str | None = None
    calendar_missing: int | None = None


async def fan_out(
    connection: asyncpg.Connection,
    message: Message,
    *,
    channels: tuple[str, ...],
    links: Links,
    now: dt.datetime,
    templates: Path = TEMPLATES_DIR,
) -> int:
    """Queue ``message`` on every channel of its office; returns the deliveries written."""
    targets: list[tuple[str, uuid.UUID | None]] = []
    if "inbox" in channels:
        targets.append(("inbox", None))
    external = [channel for channel in channels if channel != "inbox"]
    if external:
        for row in await office_recipients(
            connection,
            region_code=message.region_code,
            role=message.role,
            channels=external,
            enterprise_id=message.enterprise_id,
        ):
            targets.append((row["channel"], row["id"]))
    written = 0
    for channel, recipient_id in targets:
        delivery_id = uuid.uuid4()
        ack_url = links.acknowledgement_url(delivery_id, now)
        title, body = render(
            message.kind, {**message.context, "ack_url": ack_url}, directory=templates
        )
        key = (
            f"recipient:{recipient_id}"
            if recipient_id
            else f"office:{message.region_code}:{message.role}:{message.enterprise_id or ''}"
        )
        written += await insert_delivery(
            connection,
            NewDelivery(
                id=delivery_id,
                event_id=message.event_id,
                recipient_key=key,
                channel=channel,
                recipient_id=recipient_id,
                region_code=message.region_code,
                role=message.role,
                kind=message.kind,
                subject_type=message.subject_type,
                subject_id=message.subject_id,
                title=title,
                body=body,
                payload={**message.payload, "ack_url": ack_url},
                not_before=message.not_before,
                enterprise_id=message.enterprise_id,
                trace_id=message.trace_id,
                calendar_missing=message.calendar_missing,
            ),
        )
    return written
