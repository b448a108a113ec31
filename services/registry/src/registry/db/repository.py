"""Registry persistence. Functions take a connection; the caller owns the transaction."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from registry.db import queries


async def insert_enterprise(
    connection: asyncpg.Connection,
    *,
    enterprise_id: uuid.UUID,
    credit_code: str,
    credit_code_override: dict[str, Any] | None,
    name: str,
    region_code: str,
    kinds: list[str],
    contact_phone: str | None,
    contact_email: str | None,
    created_by: str,
) -> asyncpg.Record:
    row = await connection.fetchrow(
        queries.INSERT_ENTERPRISE,
        enterprise_id,
        credit_code,
        credit_code_override,
        name,
        region_code,
        kinds,
        contact_phone,
        contact_email,
        created_by,
    )
    assert row is not None
    return row


async def enterprise_by_id(
    connection: asyncpg.Connection, enterprise_id: uuid.UUID
) -> asyncpg.Record | None:
    return await connection.fetchrow(queries.ENTERPRISE_BY_ID, enterprise_id)


async def enterprise_by_credit_code(
    connection: asyncpg.Connection, credit_code: str
) -> asyncpg.Record | None:
    return await connection.fetchrow(queries.ENTERPRISE_BY_CREDIT_CODE, credit_code)


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
