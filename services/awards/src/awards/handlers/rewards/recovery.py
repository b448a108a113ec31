"""追回: recording money an award owed back as it comes back (004 三(三) with the programme's
``reward_policy.on_revocation``; a corrected report that lowers a subsidy or a milestone).

What is owed is written when it arises (``recovery_flagged`` entries: a revocation, a negative
adjustment); what comes back is a ``reversed`` entry per receipt, append-only, never more than
is still owed on the award nor than its chain (the award it adjusts, or itself, with every
adjustment) paid out. The budget and the entity's cap get the money back."""

from __future__ import annotations

import uuid

import asyncpg

from awards.db import rewards as sql
from awards.domain.rewards.ledger import budget_key, cap_key
from awards.domain.rewards.working import yuan
from awards.handlers.rewards.ledger import (
    KEY_MISMATCH,
    LedgerRefusal,
    NotFound,
    OverCap,
    WrongState,
    award_for_update,
)
from shared.i18n import t


async def record_recovery(
    connection: asyncpg.Connection,
    award_id: uuid.UUID,
    *,
    amount_fen: int,
    reference: str,
    actor: str,
    reason: str | None = None,
) -> dict[str, int]:
    """Returns what this receipt recovered and what the award still owes."""
    adjusts = await connection.fetchval(sql.ADJUSTS, award_id)
    root = adjusts or award_id
    # The chain's first award is locked first, as a revocation locks an entity's awards in the
    # order they were proposed: two moves on one chain never wait on each other crosswise.
    if root != award_id:
        await award_for_update(connection, root)
    award = await award_for_update(connection, award_id)
    if await connection.fetchval(sql.RECOVERY_OF_RECEIPT, award_id, reference) is not None:
        raise LedgerRefusal(
            t(
                f"收据编号 {reference} 的追回已登记",
                f"the recovery with receipt {reference} is already recorded",
            )
        )
    owed = await connection.fetchval(sql.OWED, award_id)
    if owed <= 0:
        raise WrongState(
            t("该奖补无应追回款项", "nothing is owed back on this award"),
            status_now=award["status"],
        )
    paid = await connection.fetchval(sql.CHAIN_PAID, root)
    if paid <= 0:
        raise WrongState(
            t(
                "该奖补尚未支付，支付后方可追回",
                "nothing was paid on this award yet: money comes back after a payment",
            )
        )
    most = min(owed, paid)
    if not 0 < amount_fen <= most:
        raise OverCap(
            t(
                f"金额须大于0元且不超过{yuan(most)}元（应追回{yuan(owed)}元，"
                f"已支付{yuan(paid)}元）",
                f"the amount must be above 0 and at most {yuan(most)} (owed {yuan(owed)}, "
                f"paid {yuan(paid)})",
            ),
            max_amount=str(yuan(most)),
        )
    attempt = await connection.fetchval(sql.LAST_ATTEMPT, award_id)
    await connection.execute(
        sql.INSERT_ENTRY, award_id, attempt, "reversed", amount_fen, actor, reason,
        {"reference": reference},
    )  # fmt: skip
    for statement, key in (
        (sql.RECOVER_BUDGET, budget_key(award)),
        (sql.RECOVER_CAP, cap_key(award)),
    ):
        if await connection.fetchval(statement, *key, amount_fen) is None:
            raise LedgerRefusal(
                t(
                    "该奖补所用预算或上限的已支付金额不足",
                    "the budget or cap this award was paid from shows less paid",
                )
            )
    outstanding = owed - amount_fen
    if outstanding == 0:
        await connection.execute(
            sql.SET_STATUS, award_id, "recovered", f"recovered (receipt {reference})"
        )
    return {"recovered_fen": amount_fen, "outstanding_fen": outstanding}


async def record_reversal(
    connection: asyncpg.Connection,
    *,
    award_id: uuid.UUID,
    idempotency_key: str,
    amount_fen: int,
    reference: str,
    actor: str = "finance",
) -> bool:
    """Finance's ``payment.reversed`` for an award it paid: recorded on the award of its chain
    that owes the money. True when recorded now, False when this receipt already was (a
    redelivery, a retried callback); a refusal when it contradicts the ledger."""
    known = await connection.fetchval(sql.IDEMPOTENCY_KEY, award_id)
    if known is None:
        raise NotFound(t(f"未找到奖补 {award_id}", f"no award {award_id}"))
    if known != idempotency_key:
        raise LedgerRefusal(KEY_MISMATCH)
    if await connection.fetchval(sql.RECEIPT_IN_CHAIN, award_id, reference) is not None:
        return False
    owing = await connection.fetchval(sql.OWING_IN_CHAIN, award_id)
    if owing is None:
        raise WrongState(
            t(
                "该奖补及其调整均无应追回款项",
                "nothing is owed back on this award or its adjustments",
            )
        )
    await record_recovery(
        connection, owing, amount_fen=amount_fen, reference=reference, actor=actor,
        reason=f"finance reports the money back (payment of {idempotency_key})",
    )  # fmt: skip
    return True
