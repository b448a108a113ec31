"""Reading awards with their working and entries (``AwardView``), for the routes and the use
cases that audit what an award was before and after a change."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence

import asyncpg

from awards.db import rewards as sql
from awards.domain.rewards.views import AwardView, Entry


async def rewards_with_entries(
    connection: asyncpg.Connection, awards: Sequence[asyncpg.Record]
) -> list[AwardView]:
    rows = await connection.fetch(sql.ENTRIES, [award["id"] for award in awards])
    by_award: dict[uuid.UUID, list[Entry]] = defaultdict(list)
    for row in rows:
        by_award[row["award_id"]].append(Entry.of(row))
    return [AwardView(dict(award), by_award[award["id"]]) for award in awards]


async def reward(connection: asyncpg.Connection, award_id: uuid.UUID) -> AwardView | None:
    award = await connection.fetchrow(sql.AWARD, award_id)
    if award is None:
        return None
    (one,) = await rewards_with_entries(connection, [award])
    return one


async def rewards_page(
    connection: asyncpg.Connection,
    *,
    programme_id: str,
    year: int | None,
    entity_id: str | None,
    status: str | None,
    limit: int,
    after: tuple[dt.datetime, uuid.UUID] | None,
) -> list[AwardView]:
    """The ledger, newest first, ``limit`` awards after the position ``after`` (if any)."""
    after_at, after_id = after if after is not None else (None, None)
    rows = await connection.fetch(
        sql.AWARDS, programme_id, year, entity_id, status, limit, after_at, after_id
    )
    return await rewards_with_entries(connection, list(rows))
