"""The enterprises resident in a park or base, with join and leave dates (004 附件7
省级电商产业示范园区、示范基地入驻电商企业名单): joining and leaving write the residence, the park's
history row, the event and the audit record in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import cast

import asyncpg

from registry.db import entity_queries, queries
from registry.db.repository import record_change
from registry.domain.entities.definitions import PARK
from registry.domain.scope import may_read
from registry.handlers.common import BeforeCommit, Connection, Context, Row
from registry.handlers.scope import require_may_act_for_enterprise, require_region_write
from shared import audit
from shared.auth import Principal
from shared.events.registry import ResidentJoined, ResidentLeft
from shared.http import catalogue
from shared.http.pagination import next_cursor, read_cursor
from shared.http.problems import ProblemError, invalid, not_found
from shared.i18n import t


@dataclass(frozen=True)
class ResidentsPage:
    rows: list[Row]
    next_cursor: str | None


async def _park(
    connection: Connection, principal: Principal, park_id: uuid.UUID, *, write: bool
) -> Row:
    statement = entity_queries.BY_ID_FOR_UPDATE if write else entity_queries.BY_ID
    park = await connection.fetchrow(statement[PARK.name], park_id)
    if park is None or not may_read(principal, PARK, park):
        raise not_found(t("园区", "park"), str(park_id))
    if write:
        operator = park["operator_enterprise_id"]
        require_region_write(
            principal, park["region_code"], owner=str(operator) if operator else None
        )
    return park


async def join(
    context: Context,
    principal: Principal,
    *,
    park_id: uuid.UUID,
    enterprise_id: uuid.UUID,
    joined_on: dt.date,
    before_commit: BeforeCommit | None = None,
) -> Row:
    async with context.pool.acquire() as connection, connection.transaction():
        park = await _park(connection, principal, park_id, write=True)
        await require_may_act_for_enterprise(
            connection, principal, enterprise_id, field="enterprise_id"
        )
        try:
            async with connection.transaction():
                inserted = await connection.fetchrow(
                    queries.INSERT_RESIDENT,
                    uuid.uuid4(),
                    park_id,
                    enterprise_id,
                    joined_on,
                    principal.subject,
                )
        except asyncpg.UniqueViolationError as exc:
            raise ProblemError(
                catalogue.ALREADY_RESIDENT,
                t("该企业已入驻此园区", "the enterprise is already resident in this park"),
            ) from exc
        row = cast(Row, inserted)  # INSERT … RETURNING always returns the row
        await _record(connection, context, principal, park, None, row, before_commit)
    return row


async def leave(
    context: Context,
    principal: Principal,
    *,
    park_id: uuid.UUID,
    residence_id: uuid.UUID,
    left_on: dt.date,
    before_commit: BeforeCommit | None = None,
) -> Row:
    async with context.pool.acquire() as connection, connection.transaction():
        park = await _park(connection, principal, park_id, write=True)
        current = await connection.fetchrow(queries.RESIDENT, residence_id, park_id)
        if current is None:
            raise not_found(t("入驻记录", "residence"), str(residence_id))
        if current["left_on"] is not None:
            gone = current["left_on"]
            raise ProblemError(catalogue.ALREADY_LEFT, t(f"已于 {gone} 迁出", f"left on {gone}"))
        if left_on < current["joined_on"]:
            raise invalid(
                [{"field": "body.left_on", "message": "before joined_on", "type": "date"}],
                t("迁出日期早于入驻日期", "left_on is before joined_on"),
            )
        written = await connection.fetchrow(queries.LEAVE_PARK, residence_id, park_id, left_on)
        row = cast(Row, written)  # the park is locked and the residence still current
        await _record(connection, context, principal, park, current, row, before_commit)
    return row


async def _record(
    connection: Connection,
    context: Context,
    principal: Principal,
    park: Row,
    current: Row | None,
    row: Row,
    before_commit: BeforeCommit | None,
) -> None:
    """What joining (no ``current`` residence) and leaving both write beside the residence, in
    one order: the park's history row, the event, the audit record, then the route's key
    claim. The history row of a departure says only that it was current (``left_on`` None);
    the audit record, all it was."""
    event = _event(row, joined=current is None)
    fact = event.event_type.rsplit(".", 1)[-1]  # resident_joined, resident_left
    await record_change(
        connection,
        entity_type="park",
        entity_id=park["id"],
        version=0,
        action=fact,
        changed_by=principal.subject,
        old_values=None if current is None else {"left_on": None},
        new_values=dict(row),
    )
    await context.publish(connection, [event])
    await audit.record_change_by(
        connection,
        principal,
        f"park.{fact}",
        audit.Resource("park", park["id"], park["region_code"]),
        before=None if current is None else dict(current),
        after=dict(row),
    )
    if before_commit is not None:
        await before_commit(connection, row)


async def residents_page(
    context: Context,
    principal: Principal,
    *,
    park_id: uuid.UUID,
    include_former: bool,
    cursor: str | None,
    limit: int,
) -> ResidentsPage:
    """The park's residents in the order they joined (with ``include_former``, those who left
    too)."""
    after_on, after_id = read_cursor(
        cursor, lambda p: (dt.date.fromisoformat(p["joined_on"]), uuid.UUID(p["id"]))
    ) or (None, None)
    async with context.pool.acquire() as connection:
        await _park(connection, principal, park_id, write=False)
        rows = await connection.fetch(
            queries.RESIDENTS_PAGE, park_id, include_former, limit + 1, after_on, after_id
        )
    return ResidentsPage(
        rows=rows[:limit],
        next_cursor=next_cursor(
            rows,
            limit,
            lambda last: {"joined_on": last["joined_on"].isoformat(), "id": str(last["id"])},
        ),
    )


def _event(row: Row, *, joined: bool) -> ResidentJoined | ResidentLeft:
    """The event of the residence ``row`` as written: joined, or left."""
    park_id, residence_id = str(row["park_id"]), str(row["id"])
    enterprise_id = str(row["enterprise_id"])
    if joined:
        return ResidentJoined(
            park_id=park_id,
            residence_id=residence_id,
            enterprise_id=enterprise_id,
            joined_on=row["joined_on"],
        )
    return ResidentLeft(
        park_id=park_id,
        residence_id=residence_id,
        enterprise_id=enterprise_id,
        left_on=row["left_on"],
    )
