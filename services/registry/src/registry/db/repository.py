"""Registry persistence. Functions take a connection; the caller owns the transaction."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from registry.db import queries


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
