"""Reads and writes of the awards database; every function takes the caller's connection, so
the caller's transaction decides what commits together."""

from __future__ import annotations

import uuid

import asyncpg

from awards.db import queries
from awards.domain.credit import CreditKind, CreditRecord
from awards.domain.eligibility import Applicant
from awards.domain.experts import Expert
from shared.db.rows import from_row


async def applicant(
    connection: asyncpg.Connection, entity_type: str, entity_id: str
) -> Applicant | None:
    row = await connection.fetchrow(queries.ENTITY, entity_type, entity_id)
    if row is None:
        return None
    designated = await connection.fetch(queries.DESIGNATED_CATEGORIES, entity_type, entity_id)
    return from_row(
        Applicant,
        row,
        designated_categories=frozenset((r["programme_id"], r["category"]) for r in designated),
    )


async def credit_records_of(connection: asyncpg.Connection, entity_id: str) -> list[CreditRecord]:
    rows = await connection.fetch(queries.CREDIT_RECORDS_OF, entity_id)
    records = []
    for row in rows:
        try:
            kind = CreditKind(row["kind"])
        except ValueError:
            continue  # a kind this version does not know blocks nothing; it stays on record
        records.append(from_row(CreditRecord, row, kind=kind))
    return records


async def expert_pool(connection: asyncpg.Connection) -> list[Expert]:
    rows = await connection.fetch(queries.ACTIVE_EXPERTS)
    return [
        Expert(r["expert_id"], r["region_code"], frozenset(r["declared_relations"])) for r in rows
    ]


async def application(
    connection: asyncpg.Connection, application_id: uuid.UUID
) -> asyncpg.Record | None:
    return await connection.fetchrow(queries.APPLICATION, application_id)


async def steps(connection: asyncpg.Connection, application_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(await connection.fetch(queries.STEPS, application_id))


async def panel(connection: asyncpg.Connection, application_id: uuid.UUID) -> list[asyncpg.Record]:
    return list(await connection.fetch(queries.PANEL, application_id))
