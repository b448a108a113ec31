"""Awards' designation events: the operator hears of a grant, revocation or reinstatement;
the operator and the city bureau of a warning (限期整改)."""

from __future__ import annotations

import asyncpg

from notifications.db.repository import designation, remember_designation
from notifications.domain.applications import city_of
from notifications.handlers.notices import Context, Office, UnexpectedEvent, deliver_to_routed
from shared.events import EventEnvelope
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
    DesignationWarned,
)
from shared.events.envelope import DomainEvent
from shared.programmes import Programme
from shared.programmes.reporting import end_of_day


def category_title(programme: Programme, category: str) -> str:
    """A demonstration category's title, or its id when the programme no longer lists it."""
    found = next((c for c in programme.demonstration_categories if c.id == category), None)
    return found.title if found else category


async def on_designation(
    context: Context, connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """The operator hears that its enterprise was designated, lost the designation, or had it
    reinstated (after a rectification in time, or by the province after a revocation)."""
    if not isinstance(event, DesignationGranted | DesignationRevoked | DesignationReinstated):
        raise UnexpectedEvent(event)
    await remember_designation(connection, event)
    if event.entity_type != "enterprise":
        return  # parks and teams have no operator in the directory
    programme = context.programme(event.programme_id)
    route = programme.notifications.route(event.event_type)
    if route is None:
        return
    title = (
        event.title
        if isinstance(event, DesignationGranted) and event.title
        else category_title(programme, event.category)
    )
    if isinstance(event, DesignationGranted):
        kind, on, reason = "designation_granted", event.designated_on, None
    elif isinstance(event, DesignationReinstated):
        kind, on, reason = "designation_reinstated", event.reinstated_on, event.reason
    else:
        kind, on, reason = "designation_revoked", event.revoked_on, event.reason
    facts: dict[str, object] = {
        "programme": programme.name,
        "designation_id": event.designation_id,
        "title": title,
        "on": on.isoformat(),
        "reason": reason,
    }
    await deliver_to_routed(
        connection,
        context,
        envelope,
        route,
        [(event.region_code, "operator", event.entity_id)],
        kind=kind,
        subject=("designation", event.designation_id),
        facts=facts,
        payload=facts,
    )


async def on_designation_warned(
    context: Context, connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """限期整改: the operator (of an enterprise) and its city bureau hear the reason and the
    rectification deadline. The event names no entity type: the operator is addressed only
    when the designation is known here as an enterprise's (parks and teams have none)."""
    if not isinstance(event, DesignationWarned):
        raise UnexpectedEvent(event)
    programme = context.programme(event.programme_id)
    route = programme.notifications.route(event.event_type)
    if route is None:
        return
    known = await designation(connection, event.designation_id)
    offices: list[Office] = [(city_of(event.region_code), "city_bureau", None)]
    if known is not None and known["entity_type"] == "enterprise":
        offices.insert(0, (event.region_code, "operator", event.entity_id))
    facts: dict[str, object] = {
        "programme": programme.name,
        "designation_id": event.designation_id,
        "title": category_title(programme, event.category),
        "year": event.year,
        "reason": event.reason,
        "legal_basis": event.legal_basis,
        "rectify_by": event.rectify_by.isoformat(),
        # the first instant after the last day, so ``due_time`` shows "… 24:00（北京时间）"
        "rectify_until": end_of_day(event.rectify_by),
    }
    await deliver_to_routed(
        connection,
        context,
        envelope,
        route,
        offices,
        kind="designation_warned",
        subject=("designation", event.designation_id),
        facts=facts,
        payload={**facts, "rectify_until": end_of_day(event.rectify_by).isoformat()},
    )
