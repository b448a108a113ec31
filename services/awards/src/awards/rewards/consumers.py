"""What the rewards ledger takes from Kafka, each in the consumer's inbox transaction:
finance's answers and money back (``finance.payment.*``), accepted annual reports (submissions), revoked
designations (the programme's ``reward_policy.on_revocation``), enterprise kinds and the
statistics list (上规入统) from the registry."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from functools import cache

import asyncpg

from awards.rewards import ledger, queries
from awards.rewards.corrections import adjust_for_correction
from awards.rewards.finance import Outbox
from awards.rewards.recovery import record_reversal
from awards.rewards.working import to_fen
from shared.events import EventEnvelope
from shared.events.designations import DesignationRevoked
from shared.events.envelope import DomainEvent
from shared.events.registry import (
    EnterpriseRegistered,
    EnterpriseStatisticsYearSet,
    EnterpriseUpdated,
)
from shared.events.rewards import PaymentFailed, PaymentReversed, PaymentSettled
from shared.events.submissions import ReportAccepted
from shared.messaging.consumer import Handler
from shared.programmes import Programme

log = logging.getLogger(__name__)

TOPICS = ("finance.payment", "submissions.report", "awards.designation")


@cache
def _programmes() -> dict[str, Programme]:
    """Read on the first revocation or corrected report, never at import."""
    from awards.config import AwardsSettings
    from shared.programmes import load_programmes

    return load_programmes(AwardsSettings().programmes_dir)


@cache
def _outbox() -> Outbox:
    """Read with the programmes, like them: the ledger's events of this deployment."""
    from awards.config import AwardsSettings

    return Outbox.of(AwardsSettings())


async def on_payment_answer(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    assert isinstance(event, PaymentSettled | PaymentFailed)
    settled = isinstance(event, PaymentSettled)
    amount = Decimal(event.amount) if isinstance(event, PaymentSettled) else None
    try:
        await ledger.record_answer(
            connection,
            award_id=uuid.UUID(event.award_id),
            idempotency_key=event.idempotency_key,
            attempt=event.attempt,
            settled=settled,
            amount_fen=None if amount is None else to_fen(amount),
            reference=event.reference if isinstance(event, PaymentSettled) else None,
            reason=event.reason if isinstance(event, PaymentFailed) else None,
        )
    except ledger.WrongState as conflict:
        # settled after failed (or the reverse): kept for people to sort out, never applied.
        log.error("finance answer refused for award %s: %s", event.award_id, conflict.detail)


async def on_payment_reversed(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """追回 as finance reports it; a receipt already recorded is a no-op."""
    assert isinstance(event, PaymentReversed)
    try:
        async with connection.transaction():  # a refusal leaves nothing half-written
            await record_reversal(
                connection, award_id=uuid.UUID(event.award_id),
                idempotency_key=event.idempotency_key, amount_fen=to_fen(Decimal(event.amount)),
                reference=event.reference,
            )  # fmt: skip
    except ledger.LedgerRefusal as refusal:
        # More than is owed or was paid, or nothing owed: kept for people to sort out.
        log.error("finance reversal refused for award %s: %s", event.award_id, refusal.detail)


async def on_report_accepted(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """Keeps every accepted version; a corrected version adjusts, at once, the subsidy and
    milestones already requested or paid on an earlier one (rewards.corrections)."""
    assert isinstance(event, ReportAccepted)
    programme_id, _window, year = event.window_id.rsplit(".", 2)  # <programme>.<window>.<year>
    kept = await connection.fetchval(
        queries.INSERT_ACCEPTED_REPORT,
        event.report_id,
        event.version,
        event.window_id,
        programme_id,
        int(year),
        event.designation_id,
        event.entity_id,
        dict(event.figures),
        event.accepted_by,
    )
    programme = _programmes().get(programme_id)
    if kept is None or event.version == 1 or programme is None:
        return  # a redelivery, or nothing earlier to correct
    await adjust_for_correction(
        connection, programme, entity_id=event.entity_id, year=int(year),
        actor=f"report-correction:{event.accepted_by}", outbox=_outbox(),
    )  # fmt: skip


async def on_designation_revoked(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    assert isinstance(event, DesignationRevoked)
    programme = _programmes().get(event.programme_id)
    if programme is None or programme.reward_policy is None:
        return
    policy = programme.reward_policy.on_revocation
    await ledger.on_revocation(
        connection,
        programme_id=event.programme_id,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        cancel_unpaid=policy.cancel_unpaid,
        recover_paid=policy.recover_paid,
        reason=event.reason or "designation revoked (取消示范项目资格)",
        outbox=_outbox(),
    )


async def on_enterprise_kinds(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """Cross-border (跨境电商) is an enterprise kind in the registry; the subsidy excludes it."""
    if isinstance(event, EnterpriseRegistered):
        await connection.execute(queries.UPSERT_KINDS, event.enterprise_id, list(event.kinds))
    elif isinstance(event, EnterpriseUpdated) and "kinds" in event.changes:
        kinds = event.changes["kinds"].new or []
        await connection.execute(queries.UPSERT_KINDS, event.enterprise_id, [str(k) for k in kinds])


async def on_statistics_year(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """上规入统 per year, as the registry records it: the traffic subsidy's eligibility (004
    四(二)3). The latest word for an enterprise and year holds, the registry's or the statistics
    system's (``PUT /v1/reward-facts/...``); a redelivery writes the same row again."""
    assert isinstance(event, EnterpriseStatisticsYearSet)
    await connection.execute(
        queries.UPSERT_STATISTICS_YEAR,
        event.enterprise_id,
        event.year,
        event.in_list,
        f"registry:{event.set_by or 'unknown'}",
    )


def reward_handlers() -> dict[str, Handler]:
    return {
        PaymentSettled.event_type: on_payment_answer,
        PaymentFailed.event_type: on_payment_answer,
        PaymentReversed.event_type: on_payment_reversed,
        ReportAccepted.event_type: on_report_accepted,
        DesignationRevoked.event_type: on_designation_revoked,
        EnterpriseStatisticsYearSet.event_type: on_statistics_year,
    }


def also(first: Handler, second: Handler) -> Handler:
    """Both handlers, in the same transaction (an event two areas of awards keep)."""

    async def both(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        await first(connection, event, envelope)
        await second(connection, event, envelope)

    return both
