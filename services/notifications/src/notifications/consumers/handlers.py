"""Event handlers of the notifications consumer: each writes its effect on the given connection,
inside the transaction that also records the inbox row."""

from __future__ import annotations

import asyncpg

from notifications.db.repository import NewNotification, insert_notification
from shared.events import EnterpriseRegistered, EventEnvelope
from shared.events.envelope import DomainEvent
from shared.messaging.consumer import Handler
from shared.telemetry import current_trace_id

TOPICS = ("registry.enterprise",)


def province_of(region_code: str) -> str:
    return region_code[:2] + "0000"


async def on_enterprise_registered(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """The province's commerce department learns of every new enterprise in its registry."""
    assert isinstance(event, EnterpriseRegistered)
    await insert_notification(
        connection,
        NewNotification(
            recipient_region=province_of(event.region_code),
            recipient_role="province_admin",
            kind="enterprise_registered",
            title=f"新登记电商企业：{event.name}",
            body=f"{event.name}（统一社会信用代码 {event.credit_code}）已登记，属地 {event.region_code}。",
            subject_type="enterprise",
            subject_id=event.enterprise_id,
            source_event_id=envelope.id,
            trace_id=current_trace_id(),
        ),
    )


def handlers() -> dict[str, Handler]:
    return {EnterpriseRegistered.event_type: on_enterprise_registered}
