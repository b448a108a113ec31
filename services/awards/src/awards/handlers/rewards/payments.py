"""Finance's answer by its signed REST callback (the twin of its ``finance.payment.*`` events):
a payment settled or failed, or money owed back that came back. Recorded once: a repeated
callback records nothing and says so. The signature is the route's to check."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

import asyncpg

from awards.domain.rewards.working import to_fen
from awards.handlers.rewards import ledger
from awards.handlers.rewards.access import refused
from awards.handlers.rewards.recovery import record_reversal
from shared import audit
from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import t

FINANCE = audit.Actor(subject="finance", roles=("integrator",))

Outcome = Literal["settled", "failed", "reversed"]


async def record_payment_result(
    pool: asyncpg.Pool,
    *,
    outcome: Outcome,
    award_id: uuid.UUID,
    idempotency_key: str,
    attempt: int,
    amount: Decimal | None,
    reference: str | None,
    reason: str | None,
    as_sent: Mapping[str, Any],
) -> bool:
    """True when recorded now, False when this answer (or receipt) already was. ``as_sent``
    is finance's answer as the audit record keeps it."""
    reversal: tuple[int, str] | None = None
    if outcome == "reversed":
        if amount is None or not reference:
            raise ProblemError(
                catalogue.VALIDATION_FAILED,
                t(
                    "退回（reversed）须提供金额和收据编号",
                    "money back (reversed) needs its amount and the receipt's reference",
                ),
            )
        reversal = (to_fen(amount), reference)
    async with pool.acquire() as connection, connection.transaction():
        try:
            if reversal is not None:
                amount_fen, receipt = reversal
                recorded = await record_reversal(
                    connection, award_id=award_id, idempotency_key=idempotency_key,
                    amount_fen=amount_fen, reference=receipt,
                )  # fmt: skip
            else:
                recorded = await ledger.record_answer(
                    connection,
                    award_id=award_id,
                    idempotency_key=idempotency_key,
                    attempt=attempt,
                    settled=outcome == "settled",
                    amount_fen=None if amount is None else to_fen(amount),
                    reference=reference,
                    reason=reason,
                )
        except ledger.LedgerRefusal as refusal:
            raise refused(refusal) from refusal
        if recorded:
            await audit.record_change(
                connection, actor=FINANCE, action=f"payment_{outcome}",
                resource_type="reward", resource_id=award_id, reason=reason, after=as_sent,
            )  # fmt: skip
    return recorded
