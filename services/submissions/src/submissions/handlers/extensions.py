"""Extensions: a reporter or its city bureau asks; the province grants or refuses."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from shared import audit
from shared.events.envelope import DomainEvent
from shared.events.submissions import ExtensionGranted, ExtensionRefused, ExtensionRequested
from shared.i18n import t
from shared.programmes import Programme
from submissions.db import queries
from submissions.db.repository import extension_of
from submissions.domain import extensions as rules
from submissions.domain.actors import Actor
from submissions.domain.errors import Refused
from submissions.handlers.common import (
    BeforeCommit,
    Connection,
    Context,
    NotFound,
    Pool,
    Row,
    Scope,
    audit_actor,
    find_window,
    load_window,
    publish_and_claim,
)
from submissions.handlers.completeness import granted_due_times


async def extensions_page(
    pool: Pool,
    context: Context,
    window_id: str,
    *,
    after_at: dt.datetime | None,
    after_id: uuid.UUID | None,
    count: int,
    scope: Scope,
) -> list[Row]:
    """``count`` extension requests the caller may see, in the order they came, after the one
    (``after_at``, ``after_id``)."""
    await find_window(pool, context, window_id)
    return list(
        await pool.fetch(
            queries.EXTENSIONS_PAGE, window_id, after_at, after_id, count, *scope.arguments()
        )
    )


async def _current_due_at(
    connection: Connection, window_id: str, entry: Mapping[str, Any]
) -> dt.datetime:
    granted = (await granted_due_times(connection, window_id)).get(entry["designation_id"], [])
    return max([entry["due_at"], *granted])


async def request_extension(
    pool: Pool,
    context: Context,
    *,
    window_id: str,
    designation_id: str,
    authorize: Callable[[Mapping[str, Any]], Actor],
    reason: str | None,
    requested_due_at: dt.datetime | None,
    now: dt.datetime,
    before_commit: BeforeCommit | None = None,
) -> Row:
    """``authorize`` sees the reporter's roster entry and answers the acting ``Actor`` (the
    reporter or its city bureau) or raises."""
    async with pool.acquire() as connection, connection.transaction():
        await load_window(connection, context, window_id, for_update=True)
        entry = await connection.fetchrow(queries.ROSTER_ENTRY, window_id, designation_id)
        if entry is None:
            raise NotFound("reporter on the roster", designation_id)
        actor = authorize(entry)
        due_at = await _current_due_at(connection, window_id, entry)
        request = rules.request_extension(
            id=str(uuid.uuid4()),
            designation_id=designation_id,
            entity_id=entry["entity_id"],
            city_code=entry["city_code"],
            actor=actor,
            at=now,
            reason=reason,
            current_due_at=due_at,
            requested_due_at=requested_due_at,
        )
        row = await connection.fetchrow(
            queries.INSERT_EXTENSION,
            uuid.UUID(request.id),
            window_id,
            designation_id,
            entry["city_code"],
            actor.id,
            actor.role.value,
            now,
            request.reason,
            request.requested_due_at,
        )
        event = ExtensionRequested(
            extension_id=request.id,
            window_id=window_id,
            designation_id=designation_id,
            requested_by=actor.id,
            reason=request.reason,
            requested_due_at=request.requested_due_at,
        )
        await publish_and_claim(
            connection, context, [event], before_commit=before_commit, result=row
        )
        await audit.record_change_by(
            connection,
            audit_actor(actor),
            "extension.requested",
            audit.Resource("extension", request.id, entry["region_code"]),
            reason=request.reason,
            after=dict(row),
        )
    return row


async def decide_extension(
    pool: Pool,
    context: Context,
    *,
    window_id: str,
    extension_id: uuid.UUID,
    authorize: Callable[[Mapping[str, Any] | None, Programme], Actor],
    grant: bool,
    new_due_at: dt.datetime | None,
    reason: str | None,
    now: dt.datetime,
    before_commit: BeforeCommit | None = None,
) -> Row:
    """``authorize`` sees the requester's roster entry (None when it has none) and the
    window's programme, and answers the acting ``Actor`` (the province) or raises."""
    async with pool.acquire() as connection, connection.transaction():
        parts = await load_window(connection, context, window_id, for_update=True)
        row = await connection.fetchrow(queries.EXTENSION_FOR_UPDATE, window_id, extension_id)
        if row is None:
            raise NotFound("extension", str(extension_id))
        entry = await connection.fetchrow(queries.ROSTER_ENTRY, window_id, row["designation_id"])
        actor = authorize(entry, parts.programme)
        if entry is None:
            raise NotFound("reporter on the roster", row["designation_id"])
        due_at = await _current_due_at(connection, window_id, entry)
        request = extension_of(row)
        event: DomainEvent
        if grant:
            if new_due_at is None:
                raise Refused(
                    "new_due_at_required",
                    t("批准延期须写明新的报送截止时间", "a grant names the new due time"),
                    field="new_due_at",
                )
            decided = rules.grant_extension(
                request,
                actor=actor,
                at=now,
                new_due_at=new_due_at,
                current_due_at=due_at,
                reason=reason,
            )
            if decided.new_due_at is None:
                raise ValueError("a granted extension has its new due time")
            event = ExtensionGranted(
                extension_id=request.id,
                window_id=window_id,
                designation_id=request.designation_id,
                decided_by=actor.id,
                new_due_at=decided.new_due_at,
                reason=decided.decision_reason,
            )
        else:
            decided = rules.refuse_extension(request, actor=actor, at=now, reason=reason)
            event = ExtensionRefused(
                extension_id=request.id,
                window_id=window_id,
                designation_id=request.designation_id,
                decided_by=actor.id,
                reason=decided.decision_reason or "",
            )
        stored = await connection.fetchrow(
            queries.DECIDE_EXTENSION,
            extension_id,
            decided.status.value,
            actor.id,
            now,
            decided.decision_reason,
            decided.new_due_at,
        )
        await publish_and_claim(
            connection, context, [event], before_commit=before_commit, result=stored
        )
        await audit.record_change_by(
            connection,
            audit_actor(actor),
            f"extension.{decided.status.value}",
            audit.Resource("extension", request.id, entry["region_code"]),
            reason=decided.decision_reason,
            before={"status": "requested"},
            after=dict(stored),
        )
    return stored
