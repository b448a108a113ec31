"""``python -m awards consumer``: the registry facts awards needs (its own read model, from
registry events; never the registry's tables) and credit records from the ``credit.record``
topic. Each handler runs in the transaction that records the inbox row."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client

from awards.consumers import rewards as rewards_consumers
from awards.credit import (
    audit_credit_record,
    credit_record,
    stop_applications,
    store_credit_record,
)
from awards.db import queries
from awards.domain.credit import BLOCKING_KINDS
from awards.standing import consumer as standing
from awards.standing.credit import revoke_for_credit_record
from shared import audit
from shared.events import EventEnvelope
from shared.events.awards import CreditRecordReported
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
from shared.events.submissions import ReportAccepted, ReportSubmitted, WindowLocked
from shared.messaging.consumer import Handler

TOPICS = (
    "registry.enterprise",
    "registry.park",
    "registry.team",
    "credit.record",
    # each topic once: dynamic management and rewards both read submissions.report
    *dict.fromkeys((*standing.TOPICS, *rewards_consumers.TOPICS)),
)

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


async def on_registered(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    values: tuple[str, str, str, str, str | None, str | None, str | None]
    if isinstance(event, EnterpriseRegistered):
        values = (
            "enterprise", event.enterprise_id, event.name, event.region_code, None, None,
            event.credit_code,
        )  # fmt: skip
    elif isinstance(event, ParkRegistered):
        values = (
            "park", event.park_id, event.name, event.region_code, event.kind,
            event.operator_enterprise_id, None,
        )  # fmt: skip
    elif isinstance(event, TeamRegistered):
        values = (
            "team",
            event.team_id,
            event.name,
            event.region_code,
            None,
            event.enterprise_id,
            None,
        )
    else:
        return
    await connection.execute(queries.UPSERT_ENTITY, *values)


async def on_updated(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    assert isinstance(event, EnterpriseUpdated | ParkUpdated | TeamUpdated)
    entity_type = _entity_type(event)
    entity_id = getattr(event, ID_FIELD[entity_type])
    for field, change in event.changes.items():
        column = KEPT_FIELDS[entity_type].get(field)
        if column is not None:
            new = None if change.new is None else str(change.new)
            await connection.execute(
                queries.UPDATE_ENTITY_FIELD.format(column=column), entity_type, entity_id, new
            )


async def on_closed(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    entity_type = _entity_type(event)
    await connection.execute(
        queries.CLOSE_ENTITY, entity_type, getattr(event, ID_FIELD[entity_type])
    )


async def on_resident_joined(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    assert isinstance(event, ResidentJoined)
    await connection.execute(
        queries.RESIDENT_JOINED,
        event.residence_id,
        event.park_id,
        event.enterprise_id,
        event.joined_on,
    )


async def on_resident_left(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    assert isinstance(event, ResidentLeft)
    await connection.execute(queries.RESIDENT_LEFT, event.residence_id, event.left_on)


_temporal: Client | None = None


async def _client() -> Client:
    """Connected on the first credit record, never at import."""
    global _temporal
    if _temporal is None:
        from awards.config import AwardsSettings
        from shared.temporal import connect_temporal

        settings = AwardsSettings()
        _temporal = await connect_temporal(
            settings.temporal_target, namespace=settings.temporal_namespace
        )
    return _temporal


async def on_credit_record(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    assert isinstance(event, CreditRecordReported)
    try:
        record = credit_record(
            record_id=event.record_id,
            entity_id=event.entity_id,
            kind=event.kind,
            valid_from=event.valid_from,
            valid_to=event.valid_to,
            source_document=event.source_document,
        )
    except ValueError:
        # A kind this version does not know: kept as reported, blocks nothing.
        await connection.execute(
            queries.INSERT_CREDIT_RECORD, event.record_id, event.entity_id, event.kind,
            event.valid_from, event.valid_to, event.source_document, event.reported_by,
        )  # fmt: skip
        return
    in_progress = await store_credit_record(connection, record, reported_by=event.reported_by)
    stopped = []
    if in_progress:
        # Stop updates carry the record's id: a redelivered event stops nothing twice.
        stopped = await stop_applications(await _client(), record, in_progress)
    revoked = (
        await revoke_for_credit_record(connection, await _client(), record)
        if record.kind in BLOCKING_KINDS
        else []
    )
    await audit_credit_record(
        connection,
        record,
        actor=audit.Actor.process(f"awards-consumer:{event.reported_by or envelope.source}"),
        stopped=stopped,
        revoked=revoked,
    )


def handlers() -> dict[str, Handler]:
    registered = (EnterpriseRegistered, ParkRegistered, TeamRegistered)
    updated = (EnterpriseUpdated, ParkUpdated, TeamUpdated)
    closed = (EnterpriseClosed, ParkClosed, TeamClosed)
    table: dict[str, Handler] = {}
    table.update({event.event_type: on_registered for event in registered})
    table.update({event.event_type: on_updated for event in updated})
    table.update({event.event_type: on_closed for event in closed})
    table[ResidentJoined.event_type] = on_resident_joined
    table[ResidentLeft.event_type] = on_resident_left
    table[CreditRecordReported.event_type] = on_credit_record
    table.update(rewards_consumers.reward_handlers())  # rewards ledger (docs/rewards.md)
    # dynamic management (docs/awards.md): its report facts next to the rewards' in one tx
    table[ReportSubmitted.event_type] = standing.on_report_submitted
    table[ReportAccepted.event_type] = rewards_consumers.also(
        table[ReportAccepted.event_type], standing.on_report_accepted
    )
    table[WindowLocked.event_type] = standing.on_window_locked(_client)
    for event in (EnterpriseRegistered, EnterpriseUpdated):
        table[event.event_type] = rewards_consumers.also(
            table[event.event_type], rewards_consumers.on_enterprise_kinds
        )
    return table
