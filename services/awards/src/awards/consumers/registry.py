"""Registry events into the facts awards keeps of entities and residents
(``awards.handlers.registry``)."""

from __future__ import annotations

from awards.handlers import registry
from awards.handlers.common import Connection
from shared.events import EventEnvelope
from shared.events.envelope import DomainEvent
from shared.events.registry import (
    EnterpriseClosed,
    EnterpriseRegistered,
    EnterpriseUpdated,
    ParkClosed,
    ParkRegistered,
    ParkUpdated,
    ResidentJoined,
    ResidentLeft,
    TeamClosed,
    TeamRegistered,
    TeamUpdated,
)

TOPICS = ("registry.enterprise", "registry.park", "registry.team")

REGISTERED = (EnterpriseRegistered, ParkRegistered, TeamRegistered)
UPDATED = (EnterpriseUpdated, ParkUpdated, TeamUpdated)
CLOSED = (EnterpriseClosed, ParkClosed, TeamClosed)

# Which changed fields of an update awards keeps, per entity type: event field -> column.
KEPT_FIELDS = {
    "enterprise": {"name": "name", "region_code": "region_code", "credit_code": "credit_code"},
    "park": {
        "name": "name",
        "region_code": "region_code",
        "kind": "park_kind",
        "operator_enterprise_id": "owner_enterprise_id",
    },
    "team": {"name": "name", "region_code": "region_code", "enterprise_id": "owner_enterprise_id"},
}
ID_FIELD = {"enterprise": "enterprise_id", "park": "park_id", "team": "team_id"}


def _entity_type(event: DomainEvent) -> str:
    return event.event_type.split(".")[1]


def _unexpected(event: DomainEvent) -> TypeError:
    return TypeError(f"no registry handler for {event.event_type}")


async def on_registered(
    connection: Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    if not isinstance(event, REGISTERED):
        return
    entity_type = _entity_type(event)
    # A registration carries every field an update may change: the same columns, all at once.
    kept = {column: getattr(event, field) for field, column in KEPT_FIELDS[entity_type].items()}
    await registry.entity_registered(
        connection, entity_type=entity_type, entity_id=getattr(event, ID_FIELD[entity_type]), **kept
    )


async def on_updated(connection: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
    if not isinstance(event, UPDATED):
        raise _unexpected(event)
    entity_type = _entity_type(event)
    kept = KEPT_FIELDS[entity_type]
    changes = {
        kept[field]: None if change.new is None else str(change.new)
        for field, change in event.changes.items()
        if field in kept
    }
    await registry.entity_changed(
        connection, entity_type, getattr(event, ID_FIELD[entity_type]), changes
    )


async def on_closed(connection: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
    entity_type = _entity_type(event)
    await registry.entity_closed(connection, entity_type, getattr(event, ID_FIELD[entity_type]))


async def on_resident_joined(
    connection: Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    if not isinstance(event, ResidentJoined):
        raise _unexpected(event)
    await registry.resident_joined(
        connection, event.residence_id, event.park_id, event.enterprise_id, event.joined_on
    )


async def on_resident_left(
    connection: Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    if not isinstance(event, ResidentLeft):
        raise _unexpected(event)
    await registry.resident_left(connection, event.residence_id, event.left_on)
