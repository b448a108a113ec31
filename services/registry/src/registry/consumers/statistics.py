"""The statistics the submissions service publishes, handed to
``registry.handlers.published_statistics`` in the transaction that records the inbox row."""

from __future__ import annotations

from registry.handlers import published_statistics
from registry.handlers.common import Connection
from shared.events import EventEnvelope
from shared.events.envelope import DomainEvent
from shared.events.statistics import StatisticsPublished
from shared.messaging.consumer import Handler, expect

TOPICS = ("submissions.statistics",)


async def on_published(connection: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
    await published_statistics.published(connection, expect(event, StatisticsPublished))


def handlers() -> dict[str, Handler]:
    return {StatisticsPublished.event_type: on_published}
