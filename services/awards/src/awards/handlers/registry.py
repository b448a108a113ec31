"""The registry facts awards keeps (its own read model, from registry events; never the
registry's tables): entities with the fields awards reads, and parks' residents. Each runs in
the consumer's inbox transaction."""

from __future__ import annotations

import datetime as dt

from awards.db import queries
from awards.handlers.common import Connection


async def entity_registered(
    connection: Connection,
    *,
    entity_type: str,
    entity_id: str,
    name: str,
    region_code: str,
    park_kind: str | None = None,
    owner_enterprise_id: str | None = None,
    credit_code: str | None = None,
) -> None:
    await connection.execute(
        queries.UPSERT_ENTITY,
        entity_type,
        entity_id,
        name,
        region_code,
        park_kind,
        owner_enterprise_id,
        credit_code,
    )


async def entity_changed(
    connection: Connection, entity_type: str, entity_id: str, changes: dict[str, str | None]
) -> None:
    """``changes``: new values by column (``queries.UPDATE_ENTITY_COLUMN``), as text."""
    for column, new in changes.items():
        await connection.execute(queries.UPDATE_ENTITY_COLUMN[column], entity_type, entity_id, new)


async def entity_closed(connection: Connection, entity_type: str, entity_id: str) -> None:
    await connection.execute(queries.CLOSE_ENTITY, entity_type, entity_id)


async def resident_joined(
    connection: Connection, residence_id: str, park_id: str, enterprise_id: str, joined_on: dt.date
) -> None:
    await connection.execute(
        queries.RESIDENT_JOINED, residence_id, park_id, enterprise_id, joined_on
    )


async def resident_left(connection: Connection, residence_id: str, left_on: dt.date) -> None:
    await connection.execute(queries.RESIDENT_LEFT, residence_id, left_on)
