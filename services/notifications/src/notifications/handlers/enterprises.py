"""Registry events: the province hears of every new enterprise, whose inbox joins the
directory; a closed enterprise's operator leaves it."""

from __future__ import annotations

import asyncpg

from notifications.db.repository import deactivate_operator, register_operator
from notifications.domain.applications import province_of
from notifications.handlers.notices import Context, UnexpectedEvent, deliver
from shared.events import EnterpriseRegistered, EventEnvelope
from shared.events.envelope import DomainEvent
from shared.events.registry import EnterpriseClosed
from shared.programmes.notifications import Route

# Without a programme route (a registry event has no programme), the province hears of new
# enterprises in its inbox, as before the routing policy existed.
DEFAULT_ROUTES = {
    EnterpriseRegistered.event_type: Route(
        event=EnterpriseRegistered.event_type, to=("province_admin",), channels=("inbox",)
    )
}


async def on_enterprise_registered(
    context: Context, connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """The province's commerce department learns of every new enterprise in its registry;
    the enterprise's own inbox joins the directory (its operator reads it)."""
    if not isinstance(event, EnterpriseRegistered):
        raise UnexpectedEvent(event)
    await register_operator(
        connection,
        enterprise_id=event.enterprise_id,
        region_code=event.region_code,
        name=event.name,
    )
    facts = {"name": event.name, "credit_code": event.credit_code}
    await deliver(
        connection,
        context,
        envelope,
        DEFAULT_ROUTES[event.event_type],
        kind="enterprise_registered",
        office=(province_of(event.region_code), "province_admin", None),
        subject=("enterprise", event.enterprise_id),
        facts={**facts, "region_code": event.region_code},
        payload={**facts, "enterprise_id": event.enterprise_id},
    )


async def on_enterprise_closed(
    context: Context, connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    if not isinstance(event, EnterpriseClosed):
        raise UnexpectedEvent(event)
    await deactivate_operator(connection, enterprise_id=event.enterprise_id)
