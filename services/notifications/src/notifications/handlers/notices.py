"""What every event handler shares: the programmes, acknowledgement links and working-day
calendar the consumer was built with (``bootstrap.py``), and one way to record a message's deliveries (a template that
fails to render dead-letters the event rather than sending half a message)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from notifications.domain.ack_tokens import Links
from notifications.domain.rendering import TEMPLATES_DIR, RenderingFailed
from notifications.handlers.ledger import Message, fan_out
from shared.events import EventEnvelope
from shared.events.envelope import DomainEvent
from shared.messaging.consumer import PoisonMessage
from shared.programmes import Programme
from shared.programmes.notifications import NotificationPolicy, Route
from shared.telemetry import current_trace_id
from shared.working_days import WorkingDayCalendar

# Who a message goes to, as (region, role, enterprise): the enterprise only for an operator.
Office = tuple[str, str, str | None]


@dataclass(frozen=True)
class Context:
    # The live catalogue (shared.programmes.catalogue): each event reads the current revision.
    programmes: Mapping[str, Programme]
    links: Links
    templates: Path = TEMPLATES_DIR
    # The process's one, refreshed from calendar_years by each reminder before it is planned.
    calendar: WorkingDayCalendar = field(default_factory=WorkingDayCalendar)

    def programme(self, programme_id: str) -> Programme:
        programme = self.programmes.get(programme_id)
        if programme is None:
            raise PoisonMessage(f"programme {programme_id!r} is not known")
        return programme

    def policy_for_window(self, window_id: str) -> NotificationPolicy:
        programme = self.programmes.get(window_id.split(".", 1)[0])
        if programme is None:
            raise PoisonMessage(f"window {window_id!r} names no known programme")
        return programme.notifications


class UnexpectedEvent(TypeError):
    """A handler was given an event of a type it does not handle (the consumer's table maps
    each event type to its handler: a mistake there, never the event's fault)."""

    def __init__(self, event: DomainEvent) -> None:
        super().__init__(f"no handler here for {type(event).__name__}")


def json_payload(facts: dict[str, object]) -> dict[str, object]:
    """The facts as the delivery stores them: instants as ISO 8601 text."""
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in facts.items()}


async def deliver(
    connection: asyncpg.Connection,
    context: Context,
    envelope: EventEnvelope,
    route: Route,
    *,
    kind: str,
    office: Office,
    subject: tuple[str, str],
    facts: dict[str, object],
    payload: dict[str, object],
    not_before: dt.datetime | None = None,
    links: Links | None = None,
    calendar_missing: int | None = None,
) -> None:
    """Render one message for one office and record its deliveries on the route's channels.
    It may be sent from ``not_before`` (default: when the event happened); ``calendar_missing``
    names the year whose calendar its move to a working day lacked."""
    region_code, role, enterprise_id = office
    subject_type, subject_id = subject
    message = Message(
        event_id=envelope.id,
        kind=kind,
        region_code=region_code,
        role=role,
        subject_type=subject_type,
        subject_id=subject_id,
        context=facts,
        payload=payload,
        not_before=envelope.time if not_before is None else not_before,
        enterprise_id=enterprise_id,
        trace_id=current_trace_id(),
        calendar_missing=calendar_missing,
    )
    try:
        await fan_out(
            connection,
            message,
            channels=route.channels,
            links=links or context.links,
            now=envelope.time,
            templates=context.templates,
        )
    except RenderingFailed as error:
        raise PoisonMessage(str(error)) from error


async def deliver_to_routed(
    connection: asyncpg.Connection,
    context: Context,
    envelope: EventEnvelope,
    route: Route,
    offices: list[Office],
    *,
    kind: str,
    subject: tuple[str, str],
    facts: dict[str, object],
    payload: dict[str, object],
) -> None:
    """The same message to each of the offices the route names (the others are skipped)."""
    for office in offices:
        if office[1] in route.to:
            await deliver(
                connection,
                context,
                envelope,
                route,
                kind=kind,
                office=office,
                subject=subject,
                facts=facts,
                payload=payload,
            )
