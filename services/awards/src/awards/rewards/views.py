"""Reading awards with their working and entries, for the routes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

import asyncpg

from awards.rewards import queries
from awards.rewards.schemas import EntryPublic, RewardPublic
from awards.rewards.working import FEN, yuan


async def rewards_with_entries(
    connection: asyncpg.Connection, awards: list[asyncpg.Record]
) -> list[RewardPublic]:
    rows = await connection.fetch(queries.ENTRIES, [award["id"] for award in awards])
    by_award: dict[uuid.UUID, list[EntryPublic]] = defaultdict(list)
    for row in rows:
        by_award[row["award_id"]].append(
            EntryPublic(
                seq=row["seq"],
                attempt=row["attempt"],
                kind=row["kind"],
                amount=yuan(row["amount_fen"]),
                actor=row["actor"],
                reason=row["reason"],
                detail=row["detail"],
                at=row["at"],
            )
        )
    return [public(award, by_award[award["id"]]) for award in awards]


def public(award: asyncpg.Record, entries: list[EntryPublic]) -> RewardPublic:
    values: dict[str, Any] = dict(award)
    values["max_amount"] = yuan(values.pop("max_fen"))
    values["cap"] = yuan(values.pop("cap_fen"))
    values.pop("cap_year")
    recovered = sum((e.amount for e in entries if e.kind == "reversed"), Decimal(0))
    flagged = sum((e.amount for e in entries if e.kind == "recovery_flagged"), Decimal(0))
    return RewardPublic(
        **values,
        entries=entries,
        recovered=recovered.quantize(FEN),
        recovery_outstanding=(flagged - recovered).quantize(FEN),
    )


async def reward(connection: asyncpg.Connection, award_id: uuid.UUID) -> RewardPublic | None:
    award = await connection.fetchrow(queries.AWARD, award_id)
    if award is None:
        return None
    (one,) = await rewards_with_entries(connection, [award])
    return one
