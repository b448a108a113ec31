"""A corrected annual report (an accepted version above the one an award was computed on)
adjusts what was requested or paid at once, in the consumer's transaction, instead of waiting
for the next proposal run: 004 四(二)3's figures come from the accepted report, and a report
corrected after payment produces an adjustment, never a silent overwrite (docs/rewards.md).

Each adjustment runs in its own savepoint; a redelivered report finds its adjustment already
recorded (one per award and corrected version, a unique index) and adds nothing."""

from __future__ import annotations

import uuid

import asyncpg

from awards.db import rewards as sql
from awards.domain.rewards.calculator import milestone_correction
from awards.domain.rewards.working import yuan
from awards.handlers.rewards.finance import Outbox
from awards.handlers.rewards.proposals import (
    AlreadyAwarded,
    NotEligible,
    insert,
    propose,
    report_of,
)
from shared.programmes import Programme


async def adjust_for_correction(
    connection: asyncpg.Connection,
    programme: Programme,
    *,
    entity_id: str,
    year: int,
    actor: str,
    outbox: Outbox = Outbox(),
) -> list[uuid.UUID]:
    """The adjustments (and higher sales tiers) the entity's latest accepted report for the
    year gives its requested or paid subsidy and milestones; returns the awards recorded."""
    recorded: list[uuid.UUID] = []
    for award in await connection.fetch(sql.CORRECTABLE_AWARDS, programme.id, entity_id, year):
        try:
            async with connection.transaction():
                if award["kind"] == "traffic_subsidy":
                    adjustment = await propose(
                        connection, programme, reward_id=award["reward_id"],
                        entity_type=award["entity_type"], entity_id=entity_id, year=year,
                        actor=actor, outbox=outbox,
                    )  # fmt: skip
                    recorded.append(adjustment)
                else:
                    recorded.extend(
                        await _milestone(connection, programme, award, actor=actor, outbox=outbox)
                    )
        except (AlreadyAwarded, NotEligible):
            continue  # already adjusted for this version, or the correction changes nothing
    return recorded


async def _milestone(
    connection: asyncpg.Connection,
    programme: Programme,
    award: asyncpg.Record,
    *,
    actor: str,
    outbox: Outbox,
) -> list[uuid.UUID]:
    report = await report_of(connection, programme.id, award["entity_id"], award["year"])
    if report.version <= award["report_version"]:
        return []
    committed = await connection.fetchval(sql.COMMITTED, award["id"])
    if not committed or committed <= 0:
        return []  # already owed back (a revocation or an earlier correction)
    correction = milestone_correction(
        programme, tier_id=award["reward_id"], awarded=yuan(committed),
        previous_version=award["report_version"], report=report,
    )  # fmt: skip
    if correction is None:
        # Still reached; a correction that reaches a higher tier proposes it (the difference
        # rule and once per tier apply as ever).
        higher = await propose(
            connection, programme, reward_id=award["reward_id"],
            entity_type=award["entity_type"], entity_id=award["entity_id"],
            year=award["year"], actor=actor, outbox=outbox,
        )  # fmt: skip
        return [higher]
    owed = await insert(
        connection, programme_id=programme.id, proposal=correction,
        entity_type=award["entity_type"], entity_id=award["entity_id"],
        region_code=award["region_code"],
        cap=(award["cap_group"], award["cap_year"], award["cap_fen"]), report=report,
        adjusts=award["id"], actor=actor, outbox=outbox,
    )  # fmt: skip
    return [owed]
