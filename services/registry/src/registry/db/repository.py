"""Registry persistence. Functions take a connection; the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg

from registry.db import import_queries, queries


async def record_change(
    connection: asyncpg.Connection,
    *,
    entity_type: str,
    entity_id: uuid.UUID,
    version: int,
    action: str,
    changed_by: str,
    old_values: dict[str, Any] | None,
    new_values: dict[str, Any] | None,
) -> None:
    await connection.execute(
        queries.INSERT_CHANGE,
        entity_type,
        entity_id,
        version,
        action,
        changed_by,
        old_values,
        new_values,
    )


async def export_batches(
    connection: asyncpg.Connection, statement: str, params: Sequence[Any], batch_rows: int
) -> AsyncIterator[tuple[list[asyncpg.Record], dict[uuid.UUID, str]]]:
    """The rows of a list statement (run in a transaction of ``connection``), ``batch_rows`` at
    a time, each batch with its stores' owners' credit codes (as the import names owners)."""
    cursor = await connection.cursor(statement, *params)
    while rows := await cursor.fetch(batch_rows):
        owners = {owner for row in rows if (owner := row.get("owner_enterprise_id")) is not None}
        codes: dict[uuid.UUID, str] = {}
        if owners:
            found = await connection.fetch(import_queries.CREDIT_CODES, list(owners))
            codes = {row["id"]: row["credit_code"] for row in found}
        yield rows, codes
