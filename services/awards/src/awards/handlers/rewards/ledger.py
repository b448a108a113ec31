"""The ledger's moves, each in the caller's transaction: approve (reserve, then request the
payment through the outbox), settle, fail, void, and what a revocation does.

Every move locks the award row first (``FOR UPDATE``), so moves of one award are serial; the
budget and cap rows are reserved by single conditional UPDATEs (``awards.db.rewards``
``RESERVE_*``), so concurrent approvals of different awards never overdraw either. Amounts are
written once, in append-only entries."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg

from awards.db import repository
from awards.db import rewards as sql
from awards.domain.credit import blocking_records
from awards.domain.rewards.ledger import budget_key, cap_key, status_text
from awards.domain.rewards.working import yuan
from awards.handlers.rewards.finance import Outbox, announce_recovery, payee, rule_terms
from shared.events.rewards import PaymentRequested
from shared.http import catalogue
from shared.i18n import Text, t
from shared.messaging.outbox import append_events
from shared.programmes import Programme


class LedgerRefusal(Exception):
    """A move the ledger refuses; ``status`` is the HTTP status the API answers with."""

    kind = catalogue.CONFLICT

    def __init__(self, detail: Text, **extra: Any) -> None:
        super().__init__(detail.en)
        self.detail = detail  # in both languages, so the answer is wholly in the one asked for
        self.extra = extra


class NotFound(LedgerRefusal):
    kind = catalogue.NOT_FOUND


class WrongState(LedgerRefusal):
    kind = catalogue.AWARD_WRONG_STATE


class OverCap(LedgerRefusal):
    kind = catalogue.OVER_CAP


class BudgetExhausted(LedgerRefusal):
    kind = catalogue.BUDGET_EXHAUSTED


class EntityCapReached(LedgerRefusal):
    kind = catalogue.ENTITY_CAP_REACHED


class PaymentBlocked(LedgerRefusal):
    kind = catalogue.PAYMENT_BLOCKED


KEY_MISMATCH = t("幂等键与该奖补不符", "the idempotency key does not match the award")


async def award_for_update(connection: asyncpg.Connection, award_id: uuid.UUID) -> asyncpg.Record:
    award = await connection.fetchrow(sql.AWARD_FOR_UPDATE, award_id)
    if award is None:
        raise NotFound(t(f"未找到奖补 {award_id}", f"no award {award_id}"))
    return award


async def approve(
    connection: asyncpg.Connection,
    award_id: uuid.UUID,
    *,
    amount_fen: int,
    actor: str,
    today: dt.date,
    outbox: Outbox = Outbox(),
    programme: Programme | None = None,
) -> dict[str, Any]:
    """批准: reserve the amount on the budget and the entity's cap, and ask finance to pay.

    A failed payment may be approved again (a new attempt, the same idempotency key)."""
    award = await award_for_update(connection, award_id)
    if award["status"] not in ("proposed", "failed"):
        status = status_text(award["status"])
        raise WrongState(
            t(f"该奖补处于{status.zh}状态，不能批准", f"the award is {status.en}"),
            status_now=award["status"],
        )
    if not 0 < amount_fen <= award["max_fen"]:
        most = yuan(award["max_fen"])
        raise OverCap(
            t(
                f"金额须大于0元且不超过{most}元",
                f"the amount must be above 0 and at most {most}",
            ),
            max_amount=str(yuan(award["max_fen"])),
        )
    records = await repository.credit_records_of(connection, award["entity_id"])
    blocking = blocking_records(records, award["entity_id"], on=today)
    if blocking:
        raise PaymentBlocked(
            t(
                "；".join(record.describe_text().zh for record in blocking),
                "; ".join(record.describe_text().en for record in blocking),
            ),
            records=[record.record_id for record in blocking],
        )
    left = await connection.fetchval(sql.RESERVE_BUDGET, *budget_key(award), amount_fen)
    if left is None:
        if await connection.fetchval(sql.BUDGET_EXISTS, *budget_key(award)) is None:
            raise BudgetExhausted(
                t(
                    "该规划本年度尚未设定此类奖补的预算",
                    "no budget is set for this programme, year and reward kind",
                )
            )
        raise BudgetExhausted(
            t("预算余额不足以支付该金额", "the budget has less left than the amount")
        )
    await connection.execute(sql.ENSURE_CAP, *cap_key(award), award["cap_fen"])
    if await connection.fetchval(sql.RESERVE_CAP, *cap_key(award), amount_fen) is None:
        cap = yuan(award["cap_fen"])
        raise EntityCapReached(
            t(
                f"将超出该主体“{award['cap_group']}”奖补上限{cap}元",
                f"the entity's {award['cap_group']} cap of {cap} would be exceeded",
            )
        )
    attempt = await connection.fetchval(sql.LAST_ATTEMPT, award_id) + 1
    for kind in ("reserved", "payment_requested"):
        await connection.execute(
            sql.INSERT_ENTRY, award_id, attempt, kind, amount_fen, actor, None, {}
        )
    await connection.execute(sql.SET_STATUS, award_id, "payment_requested", None)
    event = PaymentRequested(
        award_id=str(award_id),
        idempotency_key=award["idempotency_key"],
        attempt=attempt,
        programme_id=award["programme_id"],
        reward_id=award["reward_id"],
        kind=award["kind"],
        entity_type=award["entity_type"],
        entity_id=award["entity_id"],
        year=award["year"],
        tier=award["tier"],
        amount=str(yuan(amount_fen)),
        approved_by=actor,
        **await payee(connection, award),
        **rule_terms(programme, award),
    )
    await append_events(connection, [event], source=outbox.source, topic_prefix=outbox.topic_prefix)
    return {"attempt": attempt, "amount_fen": amount_fen, "idempotency_key": event.idempotency_key}


async def record_answer(
    connection: asyncpg.Connection,
    *,
    award_id: uuid.UUID,
    idempotency_key: str,
    attempt: int,
    settled: bool,
    amount_fen: int | None = None,
    reference: str | None = None,
    reason: str | None = None,
    actor: str = "finance",
) -> bool:
    """Finance's answer to a request: True when recorded now, False when already recorded
    (a redelivery or a retried callback) or when it answers nothing we asked."""
    award = await award_for_update(connection, award_id)
    if award["idempotency_key"] != idempotency_key:
        raise LedgerRefusal(KEY_MISMATCH)
    requested = await connection.fetchval(sql.ENTRY, award_id, attempt, "payment_requested")
    if requested is None:
        raise LedgerRefusal(
            t(f"第{attempt}次支付从未申请", f"attempt {attempt} was never requested")
        )
    answered = [
        kind
        for kind in ("settled", "failed")
        if await connection.fetchval(sql.ENTRY, award_id, attempt, kind) is not None
    ]
    if answered:
        if answered[0] != ("settled" if settled else "failed"):
            earlier = "已结算" if answered[0] == "settled" else "支付失败"
            raise WrongState(
                t(
                    f"第{attempt}次支付已答复为“{earlier}”",
                    f"attempt {attempt} was already answered {answered[0]}",
                )
            )
        return False
    if settled and amount_fen is not None and amount_fen != requested:
        paid, asked = yuan(amount_fen), yuan(requested)
        raise LedgerRefusal(
            t(
                f"财政结算金额{paid}元与申请支付金额{asked}元不符",
                f"finance settled {paid}, {asked} was asked",
            )
        )
    kind = "settled" if settled else "failed"
    detail = {"reference": reference} if reference else {}
    await connection.execute(
        sql.INSERT_ENTRY, award_id, attempt, kind, requested, actor, reason, detail
    )
    budget, cap = (
        (sql.SETTLE_BUDGET, sql.SETTLE_CAP) if settled else (sql.RELEASE_BUDGET, sql.RELEASE_CAP)
    )
    await connection.execute(budget, *budget_key(award), requested)
    await connection.execute(cap, *cap_key(award), requested)
    await connection.execute(sql.SET_STATUS, award_id, kind, reason)
    return True


async def void(
    connection: asyncpg.Connection, award_id: uuid.UUID, *, actor: str, reason: str
) -> None:
    """作废: an award nothing is reserved for (proposed, or its payment failed)."""
    award = await award_for_update(connection, award_id)
    if award["status"] not in ("proposed", "failed"):
        status = status_text(award["status"])
        raise WrongState(
            t(
                f"该奖补处于{status.zh}状态，仅未支付的奖补可以作废",
                f"the award is {status.en}; only unpaid awards are voided",
            )
        )
    attempt = await connection.fetchval(sql.LAST_ATTEMPT, award_id)
    await connection.execute(sql.INSERT_ENTRY, award_id, attempt, "voided", 0, actor, reason, {})
    await connection.execute(sql.SET_STATUS, award_id, "voided", reason)


async def on_revocation(
    connection: asyncpg.Connection,
    *,
    programme_id: str,
    entity_type: str,
    entity_id: str,
    cancel_unpaid: bool,
    recover_paid: bool,
    reason: str,
    actor: str = "revocation",
    outbox: Outbox = Outbox(),
) -> dict[str, list[uuid.UUID]]:
    """取消示范项目资格 (004 三(三)): per the programme's ``reward_policy.on_revocation``, void
    the entity's awards not yet sent for payment, and flag requested or paid ones for 追回."""
    voided: list[uuid.UUID] = []
    flagged: list[uuid.UUID] = []
    for award in await connection.fetch(
        sql.AWARDS_OF_ENTITY_FOR_UPDATE, programme_id, entity_type, entity_id
    ):
        if award["status"] in ("proposed", "failed") and cancel_unpaid:
            await void(connection, award["id"], actor=actor, reason=reason)
            voided.append(award["id"])
        elif (
            award["status"] in ("payment_requested", "settled")
            and recover_paid
            and not award["recovery_flagged"]
        ):
            attempt = await connection.fetchval(sql.LAST_ATTEMPT, award["id"])
            amount = await connection.fetchval(sql.ENTRY, award["id"], attempt, "reserved")
            await connection.execute(
                sql.INSERT_ENTRY, award["id"], attempt, "recovery_flagged", amount or 0,
                actor, reason, {},
            )  # fmt: skip
            await connection.execute(sql.FLAG_RECOVERY, award["id"], reason)
            await announce_recovery(
                connection, outbox, award=award, amount_fen=amount or 0, reason=reason
            )
            flagged.append(award["id"])
    return {"voided": voided, "flagged_for_recovery": flagged}
