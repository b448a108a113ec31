"""Credit records from the ``credit.record`` topic, by the same use case as the REST report
(``awards.handlers.credit``), in the consumer's inbox transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio.client import Client

from awards.handlers import credit
from awards.handlers.common import Connection
from shared import audit
from shared.events import EventEnvelope
from shared.events.awards import CreditRecordReported
from shared.events.envelope import DomainEvent
from shared.messaging.consumer import Handler

TOPICS = ("credit.record",)


def on_credit_record(temporal: Callable[[], Awaitable[Client]]) -> Handler:
    """The handler, with the process's Temporal client (connected when a record first stops
    or revokes something)."""

    async def handle(connection: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
        if not isinstance(event, CreditRecordReported):
            raise TypeError(f"no credit record handler for {event.event_type}")
        reported = credit.ReportedRecord(
            record_id=event.record_id,
            entity_id=event.entity_id,
            kind=event.kind,
            valid_from=event.valid_from,
            valid_to=event.valid_to,
            source_document=event.source_document,
            reported_by=event.reported_by,
        )
        actor = audit.Actor.process(f"awards-consumer:{event.reported_by or envelope.source}")
        await credit.record_credit(connection, temporal, reported, actor=actor)

    return handle
