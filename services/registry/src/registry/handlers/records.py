"""Use cases over any record type: register, update, close. Each writes the record, its history
row, its event and its audit record in one transaction (with the route's Idempotency-Key claim,
where the route gives one), so they are never out of step."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any, cast

import asyncpg

from registry.db import entity_queries
from registry.db.repository import record_change
from registry.domain.entities.definitions import ENTERPRISE
from registry.domain.entities.spec import EntitySpec
from registry.domain.scope import may_read, owner_of
from registry.handlers.common import BeforeCommit, Connection, Context, Row
from registry.handlers.enterprises import prepare_enterprise
from registry.handlers.record_problems import (
    CONSTRAINT_ERRORS,
    ConstraintViolated,
    DuplicateRecord,
    RecordClosed,
    RecordNotFound,
    UnknownEnterprise,
    duplicate_problem,
    problem_for,
    violation,
)
from registry.handlers.scope import (
    require_known_region,
    require_may_act_for_enterprises,
    require_region_write,
)
from shared import audit
from shared.auth import Principal
from shared.china_time import CHINA
from shared.events.registry import FieldChange
from shared.http.etag import check_if_match
from shared.http.problems import not_found
from shared.i18n import t

DERIVED_COLUMNS = frozenset({"name_search"})


async def register(
    context: Context,
    spec: EntitySpec,
    principal: Principal,
    *,
    values: dict[str, Any],
    before_commit: BeforeCommit | None = None,
) -> Row:
    """Register a record from the request's values (the create body as sent)."""
    require_known_region(context.regions, values["region_code"])
    require_region_write(principal, values["region_code"], owner=owner_of(spec, values))
    await require_may_act_for_enterprises(context.pool, principal, spec, values)
    if spec is ENTERPRISE:
        values = prepare_enterprise(values, principal)
    try:
        return await _register(context, spec, values, principal, before_commit)
    except DuplicateRecord as exc:
        raise duplicate_problem(exc, spec, principal) from exc
    except (UnknownEnterprise, ConstraintViolated) as exc:
        raise problem_for(exc, spec) from exc


async def update(
    context: Context,
    spec: EntitySpec,
    principal: Principal,
    *,
    record_id: uuid.UUID,
    changes: Mapping[str, Any],
    if_match: str | None,
) -> Row:
    """Apply a partial update (the fields sent) to the version the caller read."""
    if "region_code" in changes:
        require_known_region(context.regions, changes["region_code"])
        require_region_write(principal, changes["region_code"])
    await require_may_act_for_enterprises(context.pool, principal, spec, changes)
    try:
        return await _update(context, spec, principal, record_id, changes, if_match)
    except (RecordNotFound, RecordClosed, UnknownEnterprise, ConstraintViolated) as exc:
        raise problem_for(exc, spec) from exc


async def close(
    context: Context,
    spec: EntitySpec,
    principal: Principal,
    *,
    record_id: uuid.UUID,
    closed_on: dt.date | None,
    reason: str | None,
    if_match: str | None,
    before_commit: BeforeCommit | None = None,
) -> Row:
    """Close (deactivate) a record; nothing is ever deleted."""
    try:
        return await _close(
            context, spec, principal, record_id, closed_on, reason, if_match, before_commit
        )
    except (RecordNotFound, RecordClosed) as exc:
        raise problem_for(exc, spec) from exc


async def _check_enterprise_references(
    connection: Connection, spec: EntitySpec, values: Mapping[str, Any]
) -> None:
    wanted = {c: values[c] for c in spec.enterprise_columns if values.get(c) is not None}
    if not wanted:
        return
    found = {
        row["id"]
        for row in await connection.fetch(
            entity_queries.EXISTING_ENTERPRISES, list(wanted.values())
        )
    }
    for column, value in wanted.items():
        if value not in found:
            raise UnknownEnterprise(column, value)


async def _raise_if_duplicate(
    connection: Connection, spec: EntitySpec, values: Mapping[str, Any]
) -> None:
    if spec.natural_key:
        existing = await connection.fetchrow(
            entity_queries.BY_NATURAL_KEY[spec.name],
            *(values[column] for column in spec.natural_key),
        )
        if existing is not None:
            raise DuplicateRecord(spec, existing)


async def _register(
    context: Context,
    spec: EntitySpec,
    values: Mapping[str, Any],
    actor: Principal,
    before_commit: BeforeCommit | None,
) -> Row:
    columns = {"id": uuid.uuid4(), **values, "created_by": actor.subject}
    async with context.pool.acquire() as connection, connection.transaction():
        await _check_enterprise_references(connection, spec, columns)
        await _raise_if_duplicate(connection, spec, columns)
        try:
            async with connection.transaction():  # a savepoint: the look-up below can still run
                inserted = await connection.fetchrow(
                    entity_queries.insert(spec, list(columns)), *columns.values()
                )
        except asyncpg.UniqueViolationError:
            await _raise_if_duplicate(connection, spec, columns)  # registered concurrently
            raise
        except CONSTRAINT_ERRORS as exc:
            raise violation(spec, exc) from exc
        row = cast(Row, inserted)  # INSERT … RETURNING always returns the row
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
        await context.publish(connection, [spec.registered(row, actor.subject)])
        override = row.get("credit_code_override")
        await audit.record_change_by(
            connection,
            actor,
            f"{spec.name}.registered",
            audit.Resource(spec.name, row["id"], row["region_code"]),
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
    connection: Connection,
    spec: EntitySpec,
    principal: Principal,
    record_id: uuid.UUID,
    if_match: str | None,
) -> Row:
    """The record, locked, once the caller may change it at the version it read (a record it
    may not read is absent; updates and closes alike: 428 without If-Match, 412 stale)."""
    row = await connection.fetchrow(entity_queries.BY_ID_FOR_UPDATE[spec.name], record_id)
    if row is None:
        raise RecordNotFound(record_id)
    if not may_read(principal, spec, row):
        raise not_found(t(spec.label_zh, spec.name), str(row["id"]))
    require_region_write(principal, row["region_code"], owner=owner_of(spec, row))
    check_if_match(if_match, row["version"])
    return row


async def _update(
    context: Context,
    spec: EntitySpec,
    actor: Principal,
    record_id: uuid.UUID,
    changes: Mapping[str, Any],
    if_match: str | None,
) -> Row:
    async with context.pool.acquire() as connection, connection.transaction():
        row = await _locked(connection, spec, actor, record_id, if_match)
        if row["status"] == "closed":
            raise RecordClosed(record_id)
        changed = {column: value for column, value in changes.items() if row[column] != value}
        if not changed:
            return row
        await _check_enterprise_references(connection, spec, changed)
        try:
            written = await connection.fetchrow(
                entity_queries.update(spec, list(changed)), record_id, *changed.values()
            )
        except CONSTRAINT_ERRORS as exc:
            raise violation(spec, exc) from exc
        updated = cast(Row, written)  # the row is locked: the update finds it
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
        await context.publish(connection, [event])
        await audit.record_change_by(
            connection,
            actor,
            f"{spec.name}.updated",
            audit.Resource(spec.name, record_id, updated["region_code"]),
            before={c: row[c] for c in changed},
            after={c: updated[c] for c in changed},
        )
    return updated


async def _close(
    context: Context,
    spec: EntitySpec,
    actor: Principal,
    record_id: uuid.UUID,
    closed_on: dt.date | None,
    reason: str | None,
    if_match: str | None,
    before_commit: BeforeCommit | None,
) -> Row:
    closed_on = closed_on or dt.datetime.now(CHINA).date()
    async with context.pool.acquire() as connection, connection.transaction():
        row = await _locked(connection, spec, actor, record_id, if_match)
        if row["status"] == "closed":
            raise RecordClosed(record_id)
        if "closed_on" in row:
            written = await connection.fetchrow(
                entity_queries.CLOSE_ON_DAY[spec.name], record_id, closed_on
            )
        else:
            written = await connection.fetchrow(entity_queries.CLOSE[spec.name], record_id)
        closed = cast(Row, written)  # the row is locked: the update finds it
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
        await context.publish(connection, [event])
        await audit.record_change_by(
            connection,
            actor,
            f"{spec.name}.closed",
            audit.Resource(spec.name, record_id, row["region_code"]),
            before={"status": row["status"]},
            after={"status": "closed", "closed_on": closed_on},
            reason=reason,
        )
        if before_commit is not None:
            await before_commit(connection, closed)
    return closed
