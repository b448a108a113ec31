"""Use cases over any record type: register, update, close. Each writes the record, its history
row, its event and its audit record in one transaction, so the four are never out of step."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg

from registry.db import entity_queries as queries
from registry.db.repository import record_change
from registry.entities.spec import EntitySpec
from shared import audit
from shared.auth import Principal
from shared.china_time import CHINA as CHINA  # registry modules read it from here
from shared.events.registry import FieldChange
from shared.messaging.outbox import append_events

EVENT_SOURCE = "/services/registry"

Authorize = Callable[[asyncpg.Record], None]


class DuplicateRecord(Exception):
    def __init__(self, spec: EntitySpec, existing_id: uuid.UUID, existing_name: str) -> None:
        super().__init__(f"{spec.name} already registered as {existing_id}")
        self.spec = spec
        self.existing_id = existing_id
        self.existing_name = existing_name


class UnknownEnterprise(Exception):
    def __init__(self, column: str, value: object) -> None:
        super().__init__(f"{column}: no enterprise {value}")
        self.column = column
        self.value = value


class RecordNotFound(Exception):
    pass


class RecordClosed(Exception):
    pass


async def _check_enterprise_references(
    connection: asyncpg.Connection, spec: EntitySpec, values: Mapping[str, Any]
) -> None:
    wanted = {c: values[c] for c in spec.enterprise_columns if values.get(c) is not None}
    if not wanted:
        return
    found = {
        row["id"]
        for row in await connection.fetch(queries.existing_enterprises(), list(wanted.values()))
    }
    for column, value in wanted.items():
        if value not in found:
            raise UnknownEnterprise(column, value)


async def _raise_if_duplicate(
    connection: asyncpg.Connection, spec: EntitySpec, values: Mapping[str, Any]
) -> None:
    if spec.natural_key:
        existing = await connection.fetchrow(
            queries.by_natural_key(spec), *(values[column] for column in spec.natural_key)
        )
        if existing is not None:
            raise DuplicateRecord(spec, existing["id"], existing["name"])


async def register_record(
    pool: asyncpg.Pool,
    spec: EntitySpec,
    *,
    values: Mapping[str, Any],
    actor: Principal,
    topic_prefix: str,
) -> asyncpg.Record:
    columns = {"id": uuid.uuid4(), **values, "created_by": actor.subject}
    async with pool.acquire() as connection, connection.transaction():
        await _check_enterprise_references(connection, spec, columns)
        await _raise_if_duplicate(connection, spec, columns)
        try:
            async with connection.transaction():  # a savepoint: the look-up below can still run
                row = await connection.fetchrow(
                    queries.insert(spec, list(columns)), *columns.values()
                )
        except asyncpg.UniqueViolationError:
            await _raise_if_duplicate(connection, spec, columns)  # registered concurrently
            raise
        assert row is not None
        await record_change(
            connection,
            entity_type=spec.name,
            entity_id=row["id"],
            version=1,
            action="registered",
            changed_by=actor.subject,
            old_values=None,
            new_values=dict(row),
        )
        await append_events(
            connection,
            [spec.registered(row, actor.subject)],
            source=EVENT_SOURCE,
            topic_prefix=topic_prefix,
        )
        override = row.get("credit_code_override")
        await audit.record_change(
            connection,
            actor=audit.Actor.of(actor),
            action=f"{spec.name}.registered",
            resource_type=spec.name,
            resource_id=row["id"],
            region_code=row["region_code"],
            after=dict(row),
            # A legacy credit code let through the GB 32100 check: the written reason.
            reason=override["reason"] if override else None,
            details={"credit_code_override": override} if override else None,
        )
    return row


async def _locked(
    connection: asyncpg.Connection, spec: EntitySpec, record_id: uuid.UUID, authorize: Authorize
) -> asyncpg.Record:
    row = await connection.fetchrow(queries.by_id(spec, for_update=True), record_id)
    if row is None:
        raise RecordNotFound(record_id)
    authorize(row)
    return row


async def update_record(
    pool: asyncpg.Pool,
    spec: EntitySpec,
    *,
    record_id: uuid.UUID,
    changes: Mapping[str, Any],
    authorize: Authorize,
    actor: Principal,
    topic_prefix: str,
) -> asyncpg.Record:
    """Apply a partial update; ``authorize`` sees the locked row (scope and If-Match checks)."""
    async with pool.acquire() as connection, connection.transaction():
        row = await _locked(connection, spec, record_id, authorize)
        if row["status"] == "closed":
            raise RecordClosed(record_id)
        changed = {column: value for column, value in changes.items() if row[column] != value}
        if not changed:
            return row
        await _check_enterprise_references(connection, spec, changed)
        updated = await connection.fetchrow(
            queries.update(spec, list(changed)), record_id, *changed.values()
        )
        assert updated is not None
        await record_change(
            connection,
            entity_type=spec.name,
            entity_id=record_id,
            version=updated["version"],
            action="updated",
            changed_by=actor.subject,
            old_values={c: row[c] for c in changed},
            new_values={c: updated[c] for c in changed},
        )
        event = spec.updated_event.model_validate(
            {
                spec.id_field: str(record_id),
                "version": updated["version"],
                "changes": {c: FieldChange(old=row[c], new=updated[c]) for c in changed},
                "updated_by": actor.subject,
            }
        )
        await append_events(connection, [event], source=EVENT_SOURCE, topic_prefix=topic_prefix)
        await audit.record_change(
            connection,
            actor=audit.Actor.of(actor),
            action=f"{spec.name}.updated",
            resource_type=spec.name,
            resource_id=record_id,
            region_code=updated["region_code"],
            before={c: row[c] for c in changed},
            after={c: updated[c] for c in changed},
        )
    return updated


async def close_record(
    pool: asyncpg.Pool,
    spec: EntitySpec,
    *,
    record_id: uuid.UUID,
    closed_on: dt.date | None,
    reason: str | None,
    authorize: Authorize,
    actor: Principal,
    topic_prefix: str,
) -> asyncpg.Record:
    """Close (deactivate) a record; nothing is ever deleted."""
    closed_on = closed_on or dt.datetime.now(CHINA).date()
    async with pool.acquire() as connection, connection.transaction():
        row = await _locked(connection, spec, record_id, authorize)
        if row["status"] == "closed":
            raise RecordClosed(record_id)
        has_closed_on = "closed_on" in row
        arguments: list[Any] = [record_id, closed_on] if has_closed_on else [record_id]
        closed = await connection.fetchrow(
            queries.close(spec, has_closed_on=has_closed_on), *arguments
        )
        assert closed is not None
        await record_change(
            connection,
            entity_type=spec.name,
            entity_id=record_id,
            version=closed["version"],
            action="closed",
            changed_by=actor.subject,
            old_values={"status": row["status"]},
            new_values={"status": "closed", "closed_on": closed_on, "reason": reason},
        )
        event = spec.closed_event.model_validate(
            {
                spec.id_field: str(record_id),
                "version": closed["version"],
                "closed_on": closed_on,
                "reason": reason,
                "closed_by": actor.subject,
            }
        )
        await append_events(connection, [event], source=EVENT_SOURCE, topic_prefix=topic_prefix)
        await audit.record_change(
            connection,
            actor=audit.Actor.of(actor),
            action=f"{spec.name}.closed",
            resource_type=spec.name,
            resource_id=record_id,
            region_code=row["region_code"],
            before={"status": row["status"]},
            after={"status": "closed", "closed_on": closed_on},
            reason=reason,
        )
    return closed
