"""Reading records of any type: one by its id, a list page (filters, search), a record's history.
A read that shows contacts in clear leaves its access record (``access_log``)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from registry.db import entity_queries
from registry.db.list_queries import SEARCH_SERIAL, list_query
from registry.domain.entities.spec import EntitySpec
from registry.domain.scope import may_read, sees_personal_data
from registry.handlers.access_log import record_personal_reads
from registry.handlers.common import Context, Pool, Row
from registry.handlers.listing import ListRequest, record_query
from shared.auth import Principal
from shared.http.pagination import cursor_int, encode_cursor, next_cursor, read_cursor
from shared.http.problems import not_found
from shared.i18n import t
from shared.masking import mask_fields


@dataclass(frozen=True)
class RecordPage:
    rows: list[Row]
    next_cursor: str | None


@dataclass(frozen=True)
class HistoryPage:
    changes: list[dict[str, Any]]
    next_cursor: str | None


async def _visible(pool: Pool, spec: EntitySpec, principal: Principal, record_id: uuid.UUID) -> Row:
    row = await pool.fetchrow(entity_queries.BY_ID[spec.name], record_id)
    if row is None or not may_read(principal, spec, row):
        raise not_found(t(spec.label_zh, spec.name), str(record_id))
    return row


async def read(
    context: Context, spec: EntitySpec, principal: Principal, record_id: uuid.UUID
) -> Row:
    row = await _visible(context.pool, spec, principal, record_id)
    await record_personal_reads(context.pool, principal, spec, [row])
    return row


async def list_page(
    context: Context,
    spec: EntitySpec,
    principal: Principal,
    listed: ListRequest,
    *,
    cursor: str | None,
    limit: int,
) -> RecordPage:
    """A page of the list: by relevance when searching (the cursor an offset), else newest
    first (the cursor the last record's creation time and id)."""
    query = list_query(record_query(spec, principal, context.regions, listed))
    pool = context.pool
    if listed.q:
        offset = read_cursor(cursor, lambda p: int(p.get("offset", 0))) or 0
        async with pool.acquire() as connection, connection.transaction(readonly=True):
            await connection.execute(SEARCH_SERIAL)
            rows = await connection.fetch(query.sql(limit=limit + 1, offset=offset), *query.params)
        next_position: dict[str, Any] = {"offset": offset + limit}
    else:
        after = read_cursor(
            cursor, lambda p: (dt.datetime.fromisoformat(p["created_at"]), uuid.UUID(p["id"]))
        )
        rows = await pool.fetch(query.sql(limit=limit + 1, after=after), *query.params)
        next_position = (
            {
                "created_at": rows[limit - 1]["created_at"].isoformat(),
                "id": str(rows[limit - 1]["id"]),
            }
            if len(rows) > limit
            else {}
        )
    await record_personal_reads(pool, principal, spec, rows[:limit], filters=listed.parameters)
    return RecordPage(
        rows=rows[:limit],
        next_cursor=encode_cursor(next_position) if len(rows) > limit else None,
    )


async def history_page(
    context: Context,
    spec: EntitySpec,
    principal: Principal,
    *,
    record_id: uuid.UUID,
    cursor: str | None,
    limit: int,
) -> HistoryPage:
    """Every change of the record, oldest first; contacts masked as the record would be."""
    after = read_cursor(cursor, lambda p: cursor_int(p["change"]))
    record = await _visible(context.pool, spec, principal, record_id)
    rows = await context.pool.fetch(
        entity_queries.HISTORY_PAGE, spec.name, record_id, after, limit + 1
    )
    changes = [dict(row) for row in rows[:limit]]
    if not sees_personal_data(principal, spec, record):
        for change in changes:
            for side in ("old_values", "new_values"):
                change[side] = mask_fields(change[side], spec.masked_columns)
    return HistoryPage(
        changes=changes,
        next_cursor=next_cursor(rows, limit, lambda last: {"change": last["id"]}),
    )
