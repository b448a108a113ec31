"""The ``consumer`` role: designation events from awards keep the rosters in step.

Each handler runs in the transaction that records the inbox row (``shared.messaging``).
"""

from __future__ import annotations

import asyncpg

from shared.events import EventEnvelope
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
)
from shared.events.envelope import DomainEvent
from shared.messaging.consumer import Handler
from shared.programmes import load_programmes
from submissions.config import SubmissionsSettings
from submissions.handlers.common import Context
from submissions.handlers.roster import apply_designation_event

TOPICS = ("awards.designation",)


def handlers(context: Context | None = None) -> dict[str, Handler]:
    """Built at role start (never at import): the programme files are read here."""
    if context is None:
        settings = SubmissionsSettings()
        context = Context(
            load_programmes(settings.programmes_dir),
            settings.kafka_topic_prefix,
            settings.event_source,
        )
    resolved = context

    async def on_designation(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, DesignationGranted | DesignationRevoked | DesignationReinstated)
        await apply_designation_event(connection, resolved, event, at=envelope.time)

    return {
        DesignationGranted.event_type: on_designation,
        DesignationRevoked.event_type: on_designation,
        DesignationReinstated.event_type: on_designation,
    }
