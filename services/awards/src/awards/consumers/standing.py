"""Submissions events for dynamic management (``awards.handlers.standing_reports``): the
report's first submission and its accepted figures, and the window's lock that triggers the
year's evaluation.

``submissions.report.submitted`` (first) gives when the report first came in;
``submissions.report.accepted`` its final figures (a later accepted version replaces them);
``submissions.window.locked`` means the year's reports are in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from temporalio.client import Client

from awards.handlers import standing_reports
from awards.handlers.common import Connection
from shared.events import EventEnvelope
from shared.events.envelope import DomainEvent
from shared.events.submissions import ReportAccepted, ReportSubmitted, WindowLocked
from shared.messaging.consumer import Handler

TOPICS = ("submissions.report", "submissions.window")


def _time(envelope: EventEnvelope | None) -> dt.datetime:
    """When the event happened (its envelope's time; now for a caller without an envelope)."""
    return envelope.time if envelope is not None else dt.datetime.now(dt.UTC)


def _unexpected(event: DomainEvent) -> TypeError:
    return TypeError(f"no dynamic management handler for {event.event_type}")


async def on_report_submitted(
    connection: Connection, event: DomainEvent, envelope: EventEnvelope | None
) -> None:
    if not isinstance(event, ReportSubmitted):
        raise _unexpected(event)
    await standing_reports.report_submitted(
        connection,
        designation_id=event.designation_id,
        window_id=event.window_id,
        report_id=event.report_id,
        at=_time(envelope),
    )


async def on_report_accepted(
    connection: Connection, event: DomainEvent, envelope: EventEnvelope | None
) -> None:
    if not isinstance(event, ReportAccepted):
        raise _unexpected(event)
    await standing_reports.report_accepted(
        connection,
        designation_id=event.designation_id,
        window_id=event.window_id,
        report_id=event.report_id,
        version=event.version,
        figures=event.figures,
        at=_time(envelope),
    )


def on_window_locked(temporal: Callable[[], Awaitable[Client]]) -> Handler:
    """The handler, with the process's Temporal client."""

    async def handle(connection: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
        if not isinstance(event, WindowLocked):
            raise _unexpected(event)
        await standing_reports.window_locked(connection, temporal, event.window_id)

    return handle
