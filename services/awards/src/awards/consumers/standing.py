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
from typing import TypeVar

from temporalio.client import Client

from awards.handlers import standing_reports
from awards.handlers.common import Connection
from shared.events import EventEnvelope
from shared.events.envelope import DomainEvent
from shared.events.submissions import ReportAccepted, ReportSubmitted, WindowLocked
from shared.messaging.consumer import Handler

TOPICS = ("submissions.report", "submissions.window")

Event = TypeVar("Event", bound=DomainEvent)


def _time(envelope: EventEnvelope | None) -> dt.datetime:
    """When the event happened (its envelope's time; now for a caller without an envelope)."""
    return envelope.time if envelope is not None else dt.datetime.now(dt.UTC)


def _expect(event: DomainEvent, kind: type[Event]) -> Event:
    """The event as the type its handler is registered for; another is a wiring fault."""
    if not isinstance(event, kind):
        raise TypeError(f"no dynamic management handler for {event.event_type}")
    return event


async def on_report_submitted(
    connection: Connection, event: DomainEvent, envelope: EventEnvelope | None
) -> None:
    report = _expect(event, ReportSubmitted)
    await standing_reports.report_submitted(connection, report, at=_time(envelope))


async def on_report_accepted(
    connection: Connection, event: DomainEvent, envelope: EventEnvelope | None
) -> None:
    report = _expect(event, ReportAccepted)
    await standing_reports.report_accepted(connection, report, at=_time(envelope))


def on_window_locked(temporal: Callable[[], Awaitable[Client]]) -> Handler:
    """The handler, with the process's Temporal client."""

    async def handle(connection: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
        window_id = _expect(event, WindowLocked).window_id
        await standing_reports.window_locked(connection, temporal, window_id)

    return handle
