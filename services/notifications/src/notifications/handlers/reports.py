"""Submissions events about one reporter's report: its review status, extension requests
and their decisions, and a window reopened for it."""

from __future__ import annotations

import logging

import asyncpg

from notifications.db.repository import designation
from notifications.domain.applications import city_of, province_of
from notifications.handlers.notices import (
    Context,
    Office,
    UnexpectedEvent,
    deliver_to_routed,
    json_payload,
)
from shared.events import EventEnvelope
from shared.events.envelope import DomainEvent
from shared.events.submissions import (
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    ReportAccepted,
    ReportRecommended,
    ReportReturned,
    ReportSubmitted,
    WindowReopened,
)

log = logging.getLogger(__name__)

REPORT_KINDS = {
    ReportSubmitted.event_type: "report_submitted",
    ReportRecommended.event_type: "report_recommended",
    ReportAccepted.event_type: "report_accepted",
}


def report_office(event: DomainEvent) -> Office | None:
    """Whose business a report event is, as (region, role, enterprise): the city bureau reviews
    what its reporters submit (unless it entered the report itself), the province what the
    city recommends; a returned report goes back to whom it was returned to; the operator hears
    that its report was accepted. Report events name the city, not the county."""
    if not isinstance(event, ReportSubmitted | ReportRecommended | ReportReturned | ReportAccepted):
        raise UnexpectedEvent(event)
    if isinstance(event, ReportSubmitted):
        return None if event.on_behalf else (event.city_code, "city_bureau", None)
    if isinstance(event, ReportRecommended):
        return province_of(event.city_code), "province_admin", None
    if isinstance(event, ReportReturned) and event.to == "city_bureau":
        return event.city_code, "city_bureau", None
    return event.city_code, "operator", event.entity_id


def report_kind(event: DomainEvent) -> str:
    if isinstance(event, ReportReturned):
        return "report_returned" if event.to == "reporter" else "report_returned_to_city"
    return REPORT_KINDS[event.event_type]


def designation_offices(known: asyncpg.Record) -> list[Office]:
    """A designation's operator (for an enterprise) and its city bureau."""
    offices: list[Office] = []
    if known["entity_type"] == "enterprise":
        offices.append((known["region_code"], "operator", known["entity_id"]))
    offices.append((city_of(known["region_code"]), "city_bureau", None))
    return offices


async def on_report_status(
    context: Context, connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """Reviews waiting (city, then province) and the report's status to whom it concerns."""
    if not isinstance(event, ReportSubmitted | ReportRecommended | ReportReturned | ReportAccepted):
        raise UnexpectedEvent(event)
    office = report_office(event)
    if office is None:
        return
    route = context.policy_for_window(event.window_id).route(event.event_type)
    if route is None:
        return
    facts: dict[str, object] = {
        "window_id": event.window_id,
        "designation_id": event.designation_id,
        "version": event.version,
    }
    if isinstance(event, ReportReturned):
        facts |= {"reason": event.reason, "field_comments": event.field_comments}
    if isinstance(event, ReportRecommended):
        facts |= {"reason": event.reason}
    await deliver_to_routed(
        connection,
        context,
        envelope,
        route,
        [office],
        kind=report_kind(event),
        subject=("report", event.report_id),
        facts=facts,
        payload=facts,
    )


async def on_extension(
    context: Context, connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """A request waits for the province's decision; the decision goes to the reporter's
    operator and its city bureau (found through the designation: the event names no
    more). A designation this service never heard of (granted before it listened) has no
    known region: the decision is logged, not sent."""
    if not isinstance(event, ExtensionRequested | ExtensionGranted | ExtensionRefused):
        raise UnexpectedEvent(event)
    programme = context.programme(event.window_id.split(".", 1)[0])
    route = programme.notifications.route(event.event_type)
    if route is None:
        return
    known = await designation(connection, event.designation_id)
    offices: list[Office] = []
    if isinstance(event, ExtensionRequested):
        offices.append((programme.jurisdiction, "province_admin", None))
        if known is not None:
            offices.append((city_of(known["region_code"]), "city_bureau", None))
    elif known is None:
        log.warning(
            "extension %s: designation %s unknown here; its decision is not sent",
            event.extension_id,
            event.designation_id,
        )
    else:
        offices += designation_offices(known)
    facts: dict[str, object] = {
        "window_id": event.window_id,
        "designation_id": event.designation_id,
        "reason": event.reason,
    }
    if isinstance(event, ExtensionRequested):
        kind = "extension_requested"
        facts["requested_due_at"] = event.requested_due_at
    elif isinstance(event, ExtensionGranted):
        kind, facts["new_due_at"] = "extension_granted", event.new_due_at
    else:
        kind = "extension_refused"
    await deliver_to_routed(
        connection,
        context,
        envelope,
        route,
        offices,
        kind=kind,
        subject=("extension", event.extension_id),
        facts=facts,
        payload=json_payload(facts),
    )


async def on_window_reopened(
    context: Context, connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """The province reopened the window for one reporter: its operator and city hear
    until when (an unknown designation is logged, as for extensions)."""
    if not isinstance(event, WindowReopened):
        raise UnexpectedEvent(event)
    route = context.policy_for_window(event.window_id).route(event.event_type)
    if route is None:
        return
    known = await designation(connection, event.designation_id)
    if known is None:
        log.warning("window %s reopened for unknown %s", event.window_id, event.designation_id)
        return
    facts: dict[str, object] = {
        "window_id": event.window_id,
        "designation_id": event.designation_id,
        "reason": event.reason,
        "ends_at": event.ends_at,
    }
    await deliver_to_routed(
        connection,
        context,
        envelope,
        route,
        designation_offices(known),
        kind="window_reopened",
        subject=("window", event.window_id),
        facts=facts,
        payload={**facts, "ends_at": event.ends_at.isoformat()},
    )
