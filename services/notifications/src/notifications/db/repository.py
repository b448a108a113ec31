"""Notifications persistence. Functions take a connection; the caller owns the transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from notifications.db import queries


@dataclass(frozen=True, kw_only=True)
class NewNotification:
    recipient_region: str
    recipient_role: str
    kind: str
    title: str
    body: str
    subject_type: str | None = None
    subject_id: str | None = None
    source_event_id: str | None = None
    trace_id: str | None = None


async def insert_notification(
    connection: asyncpg.Connection, notification: NewNotification
) -> None:
    await connection.execute(
        queries.INSERT_NOTIFICATION,
        uuid.uuid4(),
        notification.recipient_region,
        notification.recipient_role,
        notification.kind,
        notification.title,
        notification.body,
        notification.subject_type,
        notification.subject_id,
        notification.source_event_id,
        notification.trace_id,
    )


async def list_for_addresses(
    connection: asyncpg.Connection,
    *,
    addresses: list[tuple[str, str]],
    after: tuple[dt.datetime, uuid.UUID] | None,
    limit: int,
    subject_id: str | None = None,
) -> list[asyncpg.Record]:
    created_at, last_id = after if after else (None, None)
    return list(
        await connection.fetch(
            queries.LIST_FOR_ADDRESSES,
            [region for region, _ in addresses],
            created_at,
            last_id,
            limit,
            subject_id,
            [role for _, role in addresses],
        )
    )
