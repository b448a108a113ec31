"""The awards service's designation events, handed to ``registry.handlers.designations`` (which
says how grants, revocations and reinstatements of one entity are ordered). Each runs in the
transaction that records the inbox row."""

from __future__ import annotations

from registry.handlers import designations
from registry.handlers.common import Connection
from shared.events import EventEnvelope
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
)
from shared.events.envelope import DomainEvent
from shared.messaging.consumer import Handler, expect

TOPICS = ("awards.designation",)


async def on_granted(connection: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
    await designations.granted(connection, expect(event, DesignationGranted))


async def on_revoked(connection: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
    await designations.revoked(connection, expect(event, DesignationRevoked))


async def on_reinstated(
    connection: Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    await designations.reinstated(connection, expect(event, DesignationReinstated))


def handlers() -> dict[str, Handler]:
    return {
        DesignationGranted.event_type: on_granted,
        DesignationRevoked.event_type: on_revoked,
        DesignationReinstated.event_type: on_reinstated,
    }
