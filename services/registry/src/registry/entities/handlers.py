"""Use cases over any record type: register, update, close. Each writes the record, its history
row, its event and its audit record in one transaction, so the four are never out of step."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping
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
from shared.settings import event_source_of

# Callers pass the deployment's source (settings.event_source); this is for tests and tools.
DEFAULT_EVENT_SOURCE = event_source_of("registry")

Authorize = Callable[[asyncpg.Record], None]
DERIVED_COLUMNS = frozenset({"name_search"})
# Runs last inside the transaction with the written row: the route claims its
# Idempotency-Key there, so the key is applied in the same commit as the change.
BeforeCommit = Callable[[asyncpg.Connection, asyncpg.Record], Awaitable[None]]


class DuplicateRecord(Exception):
    """The natural key is taken; ``existing`` is that record's row, for the caller's route to
    name it only to callers who may read it."""

    def __init__(self, spec: EntitySpec, existing: Mapping[str, Any]) -> None:
        super().__init__(f"{spec.name} already registered as {existing['id']}")
        self.spec = spec
        self.existing = existing
        self.existing_id: uuid.UUID = existing["id"]
        self.existing_name: str = existing["name"]


class ConstraintViolated(Exception):
    """The values break a rule the table enforces (NOT NULL, CHECK, a foreign key)."""

    def __init__(self, fields: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.fields = fields
        self.message = message


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
            raise DuplicateRecord(spec, existing)


_CONSTRAINT_ERRORS = (
    asyncpg.NotNullViolationError,
    asyncpg.CheckViolationError,
    asyncpg.ForeignKeyViolationError,
)


def _violation(spec: EntitySpec, exc: asyncpg.IntegrityConstraintViolationError) -> Exception:
    """The request's fault, as the fields it concerns. The API validates what it can; this
    catches what only the table knows (a rule over two fields, a reference), so a new constraint
    is a 422 rather than a 500 even before its ``Invariant`` is written."""
    if isinstance(exc, asyncpg.NotNullViolationError) and exc.column_name:
        return ConstraintViolated((exc.column_name,), "may not be null")
    invariant = spec.invariants.get(exc.constraint_name or "")
    if invariant is not None:
        return ConstraintViolated(invariant.fields, invariant.message)
    return ConstraintViolated((), f"the values break the rule {exc.constraint_name}")


async def register_record(
    pool: asyncpg.Pool,
    spec: EntitySpec,
    *,
    values: Mapping[str, Any],
    actor: Principal,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
    before_commit: BeforeCommit | None = None,
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
        except _CONSTRAINT_ERRORS as exc:
            raise _violation(spec, exc) from exc
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
            source=event_source,
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
            # The record as written; the search index column is derived, not data.
            after={k: v for k, v in row.items() if k not in DERIVED_COLUMNS},
            # A legacy credit code let through the GB 32100 check: the written reason.
            reason=override["reason"] if override else None,
            details={"credit_code_override": override} if override else None,
        )
        if before_commit is not None:
            await before_commit(connection, row)
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
    event_source: str = DEFAULT_EVENT_SOURCE,
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
        try:
            updated = await connection.fetchrow(
                queries.update(spec, list(changed)), record_id, *changed.values()
            )
        except _CONSTRAINT_ERRORS as exc:
            raise _violation(spec, exc) from exc
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
        # Integrators read events: personal data changes are told, never their values.
        personal = sorted(c for c in changed if c in spec.masked_columns)
        event = spec.updated_event.model_validate(
            {
                spec.id_field: str(record_id),
                "version": updated["version"],
                "changes": {
                    c: FieldChange(old=row[c], new=updated[c]) for c in changed if c not in personal
                },
                "personal_data_changed": personal,
                "updated_by": actor.subject,
            }
        )
        await append_events(connection, [event], source=event_source, topic_prefix=topic_prefix)
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
    event_source: str = DEFAULT_EVENT_SOURCE,
    before_commit: BeforeCommit | None = None,
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
        await append_events(connection, [event], source=event_source, topic_prefix=topic_prefix)
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
        if before_commit is not None:
            await before_commit(connection, closed)
    return closed
