"""Awards' application events: a review waiting (the city, then the province), its outcome
to the applicant's operator, an overdue city review to the city and the province."""

from __future__ import annotations

import logging

import asyncpg

from notifications.db.repository import application, remember_application
from notifications.domain.applications import (
    STAGE_TITLES,
    Addressee,
    Applicant,
    overdue_addressees,
    stage_addressees,
    submitted_addressees,
)
from notifications.handlers.designations import category_title
from notifications.handlers.notices import Context, UnexpectedEvent, deliver, json_payload
from shared.events import EventEnvelope
from shared.events.awards import ApplicationStageChanged, ApplicationSubmitted, ReviewOverdue
from shared.events.envelope import DomainEvent

log = logging.getLogger(__name__)


async def on_application(
    context: Context, connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """Later events name only the application: the applicant is remembered from its submission
    (one submitted before this service listened has no known operator: logged, not sent)."""
    if not isinstance(event, ApplicationSubmitted | ApplicationStageChanged | ReviewOverdue):
        raise UnexpectedEvent(event)
    if isinstance(event, ApplicationSubmitted):
        await remember_application(connection, event)
    programme = context.programme(event.programme_id)
    route = programme.notifications.route(event.event_type)
    if route is None:
        return
    known = await application(connection, event.application_id)
    facts: dict[str, object] = {
        "programme": programme.name,
        "application_id": event.application_id,
        "year": known["year"] if known else None,
        "category": category_title(programme, known["category"]) if known else None,
        "entity_id": known["entity_id"] if known else None,
        "stage": None,
        "stage_title": None,
        "reason": None,
    }
    addressees: list[Addressee]
    if isinstance(event, ApplicationSubmitted):
        addressees = submitted_addressees(event.region_code, routed=route.to)
        facts["stage"], facts["stage_title"] = "city_review", STAGE_TITLES["city_review"]
    elif isinstance(event, ReviewOverdue):
        addressees = overdue_addressees(event.city_code, routed=route.to)
        facts["due_at"] = event.due_at
    else:
        applicant = (
            Applicant(known["entity_type"], known["entity_id"], known["region_code"])
            if known
            else None
        )
        addressees = stage_addressees(
            step=event.step,
            stage=event.stage,
            waiting_on=event.waiting_on,
            region_code=event.region_code,
            applicant=applicant,
            routed=route.to,
        )
        if known is None and event.stage in ("returned", "rejected", "public_notice"):
            log.warning(
                "application %s: applicant unknown here; its operator is not told of %s",
                event.application_id,
                event.step,
            )
        facts |= {
            "step": event.step,
            "stage": event.stage,
            "stage_title": STAGE_TITLES.get(event.stage, event.stage),
            "reason": event.reason,
        }
    payload = json_payload(facts)
    for to in addressees:
        # the addressees are already filtered by the route
        await deliver(
            connection,
            context,
            envelope,
            route,
            kind=to.kind,
            office=(to.region_code, to.role, to.enterprise_id),
            subject=("application", event.application_id),
            facts=facts,
            payload=payload,
        )
