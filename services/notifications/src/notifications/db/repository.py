"""Notifications persistence. Functions take a connection; the caller owns the transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from notifications.db import queries
from shared.events.awards import ApplicationSubmitted
from shared.events.designations import DesignationGranted, DesignationReinstated, DesignationRevoked


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
    enterprises: list[str] | None = None,
    reader: str = "",
    unread_only: bool = False,
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
            enterprises or [],
            reader,
            unread_only,
        )
    )


@dataclass(frozen=True, kw_only=True)
class NewDelivery:
    """One message to one recipient on one channel; ``recipient_key`` names the office
    (``office:<region>:<role>``) or the directory row (``recipient:<id>``)."""

    id: uuid.UUID
    event_id: str
    recipient_key: str
    channel: str
    recipient_id: uuid.UUID | None
    region_code: str
    role: str
    kind: str
    subject_type: str | None
    subject_id: str | None
    title: str
    body: str
    payload: dict[str, Any]
    not_before: dt.datetime
    enterprise_id: str | None = None
    trace_id: str | None = None
    # A reminder sent at its unshifted time: the year whose working-day calendar it lacked.
    calendar_missing: int | None = None


async def insert_delivery(connection: asyncpg.Connection, delivery: NewDelivery) -> bool:
    """Write the delivery (and, for the inbox channel, its inbox row, delivered at once).
    False when the (event, recipient, channel) key is already in the ledger."""
    inbox = delivery.channel == "inbox"
    inserted = await connection.fetchval(
        queries.INSERT_DELIVERY,
        delivery.id,
        delivery.event_id,
        delivery.recipient_key,
        delivery.channel,
        delivery.recipient_id,
        delivery.region_code,
        delivery.role,
        delivery.kind,
        delivery.subject_type,
        delivery.subject_id,
        delivery.title,
        delivery.body,
        delivery.payload,
        "delivered" if inbox else "queued",
        delivery.not_before,
        delivery.calendar_missing,
    )
    if inserted is None:
        return False
    if inbox:
        await connection.execute(
            queries.INSERT_INBOX_ITEM,
            uuid.uuid4(),
            delivery.region_code,
            delivery.role,
            delivery.enterprise_id,
            delivery.kind,
            delivery.title,
            delivery.body,
            delivery.subject_type,
            delivery.subject_id,
            delivery.event_id,
            delivery.trace_id,
            delivery.id,
        )
    return True


async def office_recipients(
    connection: asyncpg.Connection,
    *,
    region_code: str,
    role: str,
    channels: list[str],
    enterprise_id: str | None = None,
) -> list[asyncpg.Record]:
    """An office's addresses, or an operator's (by its enterprise, wherever it is listed)."""
    if enterprise_id is not None:
        return list(await connection.fetch(queries.OPERATOR_RECIPIENTS, enterprise_id, channels))
    return list(await connection.fetch(queries.OFFICE_RECIPIENTS, region_code, role, channels))


async def register_operator(
    connection: asyncpg.Connection, *, enterprise_id: str, region_code: str, name: str
) -> None:
    await connection.execute(
        queries.UPSERT_OPERATOR_CONTACT,
        uuid.uuid4(),
        region_code,
        enterprise_id,
        name,
        "inbox",
        enterprise_id,
    )


async def deactivate_operator(connection: asyncpg.Connection, *, enterprise_id: str) -> None:
    await connection.execute(queries.DEACTIVATE_OPERATOR, enterprise_id)


async def remember_designation(
    connection: asyncpg.Connection,
    event: DesignationGranted | DesignationRevoked | DesignationReinstated,
) -> None:
    """The designated entity, from any of its designation's events. Only a grant names the
    entity and the title: a later event keeps those already known."""
    granted = event if isinstance(event, DesignationGranted) else None
    await connection.execute(
        queries.UPSERT_DESIGNATION,
        event.designation_id,
        event.entity_type,
        event.entity_id,
        event.region_code,
        granted.entity_name if granted else None,
        granted.title if granted else None,
    )


async def designation(connection: asyncpg.Connection, designation_id: str) -> asyncpg.Record | None:
    return await connection.fetchrow(queries.DESIGNATION, designation_id)


async def designation_names(
    connection: asyncpg.Connection, designation_ids: Sequence[str]
) -> dict[str, str]:
    """Each known designation's entity name, with its title in brackets where known."""
    rows = await connection.fetch(queries.DESIGNATION_NAMES, list(designation_ids))
    return {
        row["designation_id"]: (
            f"{row['entity_name']}（{row['title']}）" if row["title"] else row["entity_name"]
        )
        for row in rows
    }


async def remember_application(
    connection: asyncpg.Connection, submitted: ApplicationSubmitted
) -> None:
    """The applicant, from the submission: later events of the application name only its id."""
    await connection.execute(
        queries.UPSERT_APPLICATION,
        submitted.application_id,
        submitted.programme_id,
        submitted.year,
        submitted.category,
        submitted.entity_type,
        submitted.entity_id,
        submitted.region_code,
    )


async def application(connection: asyncpg.Connection, application_id: str) -> asyncpg.Record | None:
    return await connection.fetchrow(queries.APPLICATION, application_id)


async def acknowledged_lists(
    connection: asyncpg.Connection, *, subject_id: str, region_code: str, role: str
) -> list[set[str]]:
    rows = await connection.fetch(queries.ACKNOWLEDGED_LISTS, subject_id, region_code, role)
    return [set(row["designation_ids"] or []) for row in rows]


async def attempts_of(
    connection: asyncpg.Connection, delivery_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    history: dict[uuid.UUID, list[asyncpg.Record]] = {key: [] for key in delivery_ids}
    for row in await connection.fetch(queries.ATTEMPTS, delivery_ids):
        history[row["delivery_id"]].append(row)
    return history
