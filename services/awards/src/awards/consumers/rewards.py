"""What the rewards ledger takes from Kafka, each in the consumer's inbox transaction:
finance's answers and money back (``finance.payment.*``), accepted annual reports (submissions),
revoked designations (the programme's ``reward_policy.on_revocation``), enterprise kinds and the
statistics list (上规入统) from the registry. Each handler reads its event and calls its use
case in ``awards.handlers.rewards``."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

import asyncpg

from awards.domain.rewards.working import to_fen
from awards.handlers.rewards import events, ledger
from awards.handlers.rewards.finance import Outbox
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

Event = TypeVar("Event", bound=DomainEvent)


def _misrouted(event: DomainEvent, expected: str) -> TypeError:
    """The handler table routes by event type: another event here is a wiring fault."""
    return TypeError(f"the {expected} handler was given {type(event).__name__}")


def _expect(event: DomainEvent, kind: type[Event]) -> Event:
    if not isinstance(event, kind):
        raise _misrouted(event, kind.event_type)
    return event


async def on_payment_answer(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    if not isinstance(event, PaymentSettled | PaymentFailed):
        raise _misrouted(event, "finance.payment.settled/failed")
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
    reversal = _expect(event, PaymentReversed)
    try:
        await events.record_finance_reversal(
            connection, award_id=uuid.UUID(reversal.award_id),
            idempotency_key=reversal.idempotency_key,
            amount_fen=to_fen(Decimal(reversal.amount)), reference=reversal.reference,
        )  # fmt: skip
    except ledger.LedgerRefusal as refusal:
        # More than is owed or was paid, or nothing owed: kept for people to sort out.
        log.error("finance reversal refused for award %s: %s", reversal.award_id, refusal.detail)


async def on_enterprise_kinds(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """Cross-border (跨境电商) is an enterprise kind in the registry; the subsidy excludes it."""
    if isinstance(event, EnterpriseRegistered):
        await events.keep_enterprise_kinds(connection, event.enterprise_id, list(event.kinds))
    elif isinstance(event, EnterpriseUpdated) and "kinds" in event.changes:
        kinds = event.changes["kinds"].new or []
        await events.keep_enterprise_kinds(connection, event.enterprise_id, [str(k) for k in kinds])


async def on_statistics_year(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """上规入统 per year, as the registry records it (``PUT /v1/reward-facts/...`` is the
    statistics system's way in)."""
    fact = _expect(event, EnterpriseStatisticsYearSet)
    await events.keep_statistics_year(
        connection, enterprise_id=fact.enterprise_id, year=fact.year, in_list=fact.in_list,
        reported_by=f"registry:{fact.set_by or 'unknown'}",
    )  # fmt: skip


def reward_handlers(*, programmes: Mapping[str, Programme], outbox: Outbox) -> dict[str, Handler]:
    """The ledger's handler per event type, with what the process built at start
    (``awards.bootstrap``): the programmes and the outbox of this deployment."""

    def the_programmes() -> Mapping[str, Programme]:
        return programmes

    def the_outbox() -> Outbox:
        return outbox

    async def on_report_accepted(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        """Keeps every accepted version; a corrected version adjusts, at once, the subsidy and
        milestones already requested or paid on an earlier one."""
        report = _expect(event, ReportAccepted)
        await events.keep_accepted_report(
            connection, the_programmes(), the_outbox(), report_id=report.report_id,
            version=report.version, window_id=report.window_id,
            designation_id=report.designation_id, entity_id=report.entity_id,
            figures=report.figures, accepted_by=report.accepted_by,
        )  # fmt: skip

    async def on_designation_revoked(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        revoked = _expect(event, DesignationRevoked)
        await events.apply_revocation(
            connection, the_programmes(), the_outbox(), programme_id=revoked.programme_id,
            entity_type=revoked.entity_type, entity_id=revoked.entity_id, reason=revoked.reason,
        )  # fmt: skip

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
