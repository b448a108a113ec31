"""Reading awards with their working and entries, for the routes."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

import asyncpg

from awards.rewards import queries
from awards.rewards.schemas import EntryPublic, RemainderPublic, RewardPublic
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
    approved = approved_amount(entries)
    return RewardPublic(
        **values,
        entries=entries,
        recovered=recovered.quantize(FEN),
        recovery_outstanding=(flagged - recovered).quantize(FEN),
        approved=approved,
        remaining=None if approved is None else values["max_amount"] - approved,
        remainder=remainder(entries),
    )


def approved_amount(entries: list[EntryPublic]) -> Decimal | None:
    """The approval that stands: the settled payment, else the last attempt's reservation
    unless finance answered it failed (a failure frees it; the award may be approved again)."""
    settled = [e.amount for e in entries if e.kind == "settled"]
    if settled:
        return settled[0]
    last = max((e.attempt for e in entries), default=0)
    kinds = {e.kind: e.amount for e in entries if e.attempt == last}
    if "reserved" in kinds and "failed" not in kinds:
        return kinds["reserved"]
    return None


def remainder(entries: list[EntryPublic]) -> RemainderPublic:
    for entry in entries:
        if entry.kind in ("remainder_requested", "remainder_waived"):
            requested = entry.kind == "remainder_requested"
            return RemainderPublic(
                status="requested" if requested else "waived",
                award_id=entry.detail.get("award_id") if requested else None,
                amount=entry.amount,
                reason=entry.reason,
                decided_by=entry.actor,
                decided_at=entry.at,
            )
    return RemainderPublic(status="none")


async def reward(connection: asyncpg.Connection, award_id: uuid.UUID) -> RewardPublic | None:
    award = await connection.fetchrow(queries.AWARD, award_id)
    if award is None:
        return None
    (one,) = await rewards_with_entries(connection, [award])
    return one
