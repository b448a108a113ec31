"""What remains of an award approved for less than its amount (the budget was short, the
province chose less): never paid automatically; the province decides, once, to request it as
a new award or to waive it, and both decisions are entries finance reads (docs/rewards.md).

The decision waits for finance to settle the approved payment: until then the payment may
fail, which frees the reservation and lets the award be approved again for another amount, so
what remains is not known. The remainder award (``<kind>_remainder``, ``adjusts`` = the
original) draws on the original's cap and budget rows, so approving it goes through the
ledger's ordinary guards and can never take the entity past its cap."""

from __future__ import annotations

import uuid

import asyncpg

from awards.db import rewards as sql
from awards.domain.rewards.ledger import DECISION_NAMES, REMAINDER_SUFFIX, Decision
from awards.domain.rewards.working import yuan
from awards.handlers.rewards.finance import Outbox
from awards.handlers.rewards.ledger import LedgerRefusal, WrongState, award_for_update
from shared.events.rewards import RemainderWaived
from shared.http import catalogue
from shared.i18n import t
from shared.messaging.outbox import append_events


class NotSettled(LedgerRefusal):
    kind = catalogue.REMAINDER_NOT_SETTLED


class NothingRemains(LedgerRefusal):
    kind = catalogue.NOTHING_REMAINS


class RemainderDecided(LedgerRefusal):
    kind = catalogue.REMAINDER_DECIDED


async def decide_remainder(
    connection: asyncpg.Connection,
    award_id: uuid.UUID,
    *,
    decision: Decision,
    reason: str,
    actor: str,
    outbox: Outbox = Outbox(),
) -> uuid.UUID | None:
    """Records the decision on the original award; returns the remainder award's id when
    requested. Refused when the approved payment is not settled, nothing remains, or the
    remainder was already decided."""
    award = await award_for_update(connection, award_id)
    if award["kind"].endswith((REMAINDER_SUFFIX, "_adjustment")):
        # A remainder or an adjustment already hangs off a first award (``adjusts``); splitting
        # it again would make chains the recovery rules do not follow.
        raise WrongState(
            t("仅可对首笔奖补的剩余金额作出决定", "only a first award's remainder is decided"),
            kind=award["kind"],
        )
    if award["status"] != "settled" or award["recovery_flagged"]:
        raise NotSettled(
            t(
                "须待财政结算已批准的支付（且无应追回款项）后，方可对剩余金额作出决定",
                "the remainder is decided once finance has settled the approved payment "
                "(and nothing of it is owed back)",
            ),
            status_now=award["status"],
        )
    approved = await connection.fetchval(sql.SETTLED_AMOUNT, award_id)
    remaining = award["max_fen"] - approved
    if remaining <= 0:
        raise NothingRemains(
            t(
                f"该奖补已按全额{yuan(approved)}元批准",
                f"the award was approved for its full amount {yuan(approved)}",
            )
        )
    earlier = await connection.fetchval(sql.REMAINDER_DECISION, award_id)
    if earlier is not None:
        named = DECISION_NAMES.get(earlier, earlier)
        raise RemainderDecided(
            t(f"剩余金额已作出决定：{named}", f"the remainder was already decided: {earlier}"),
            decided=earlier,
        )
    attempt = await connection.fetchval(sql.LAST_ATTEMPT, award_id)
    if decision == "waive":
        await _entry(
            connection, award_id, attempt, "remainder_waived", remaining, actor, reason, {}
        )
        event = RemainderWaived(
            award_id=str(award_id), idempotency_key=award["idempotency_key"],
            programme_id=award["programme_id"], reward_id=award["reward_id"], kind=award["kind"],
            entity_type=award["entity_type"], entity_id=award["entity_id"],
            region_code=award["region_code"], year=award["year"], tier=award["tier"],
            max_amount=str(yuan(award["max_fen"])), approved=str(yuan(approved)),
            waived=str(yuan(remaining)), reason=reason, waived_by=actor,
        )  # fmt: skip
        await append_events(
            connection, [event], source=outbox.source, topic_prefix=outbox.topic_prefix
        )
        return None
    rest = await _remainder_award(connection, award, approved, remaining, reason, actor)
    await _entry(
        connection, award_id, attempt, "remainder_requested", remaining, actor, reason,
        {"award_id": str(rest)},
    )  # fmt: skip
    return rest


async def _entry(
    connection: asyncpg.Connection,
    award_id: uuid.UUID,
    attempt: int,
    kind: str,
    amount_fen: int,
    actor: str,
    reason: str,
    detail: dict[str, str],
) -> None:
    seq = await connection.fetchval(
        sql.INSERT_ENTRY, award_id, attempt, kind, amount_fen, actor, reason, detail
    )
    if seq is None:  # the unique index: one decision per award, whoever wrote it first
        raise RemainderDecided(t("剩余金额已作出决定", "the remainder was already decided"))


async def _remainder_award(
    connection: asyncpg.Connection,
    award: asyncpg.Record,
    approved: int,
    remaining: int,
    reason: str,
    actor: str,
) -> uuid.UUID:
    """The rest as an award of its own: same entity, rule, tier, cap and budget rows; its
    own payment key (finance pays a key once, and the original's was paid)."""
    rest = uuid.uuid4()
    working = {
        **award["working"],
        "amount": str(yuan(remaining)),
        "remainder_of": str(award["id"]),
        "original_amount": str(yuan(award["max_fen"])),
        "approved": str(yuan(approved)),
        "reason": reason,
    }
    inserted = await connection.fetchval(
        sql.INSERT_AWARD,
        rest, award["programme_id"], award["reward_id"], award["kind"] + REMAINDER_SUFFIX,
        award["entity_type"], award["entity_id"], award["region_code"], award["year"],
        award["tier"], award["cap_group"], award["cap_year"], award["cap_fen"], remaining,
        working, award["report_id"], award["report_version"], award["id"],
        f"{award['idempotency_key']}:remainder", "proposed", actor,
    )  # fmt: skip
    if inserted is None:
        raise RemainderDecided(t("剩余金额已申请支付", "the remainder was already requested"))
    await connection.execute(
        sql.INSERT_ENTRY, rest, 0, "proposed", remaining, actor, reason, working
    )
    return rest
