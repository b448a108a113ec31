"""The ``consumer`` role: designation events from awards keep the rosters in step; the
registry's working-day calendar years are kept for the deadline clocks (``shared.calendar_years``),
and its programme revisions for the catalogue every process reads
(``shared.programmes.revisions``; docs/programmes.md, "Revisions").

Each handler runs in the transaction that records the inbox row (``shared.messaging``).
"""

from __future__ import annotations

from shared import calendar_years
from shared.events import EventEnvelope
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
)
from shared.events.envelope import DomainEvent
from shared.messaging.consumer import Handler
from shared.programmes import revisions
from submissions.handlers.common import Connection, Context
from submissions.handlers.roster import apply_designation_event

TOPICS = ("awards.designation", *calendar_years.TOPICS, *revisions.TOPICS)


def handlers(context: Context) -> dict[str, Handler]:
    """Built at role start (never at import) with the context ``submissions.bootstrap``
    built: its programmes are the process's live catalogue."""

    async def on_designation(
        connection: Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        if not isinstance(event, DesignationGranted | DesignationRevoked | DesignationReinstated):
            raise TypeError(f"not a designation event: {event.event_type}")
        await apply_designation_event(connection, context, event, at=envelope.time)

    return {
        DesignationGranted.event_type: on_designation,
        DesignationRevoked.event_type: on_designation,
        DesignationReinstated.event_type: on_designation,
        **calendar_years.handlers(),
        **revisions.handlers(),
    }
