"""Reward payments (004 四(二)2-3): awards asks finance to pay an approved reward, and finance
answers on its own topic (or by a signed REST callback; docs/rewards.md), and reports there too
money that comes back (``payment.reversed``) when an award is owed back (追回).

Amounts are exact decimal strings of yuan. ``idempotency_key`` is derived from (programme,
entity, reward kind, year, tier): finance pays a key at most once, whatever the redeliveries;
``attempt`` numbers the requests of one award after a failed payment."""

from __future__ import annotations

from pydantic import Field

from shared.events.envelope import DomainEvent


class PaymentRequested(DomainEvent):
    event_type = "awards.payment.requested"
    topic = "awards.payment"
    aggregate_field = "award_id"
    summary = "The province approved a reward: finance is asked to pay it (reserved first)."

    award_id: str
    idempotency_key: str = Field(description="programme:entity_type:entity:kind:year:tier")
    attempt: int = Field(ge=1)
    programme_id: str
    reward_id: str
    kind: str = Field(description="designation | sales_milestone | traffic_subsidy | …")
    entity_type: str
    entity_id: str
    year: int
    tier: str
    amount: str = Field(description="yuan, exact decimal string")
    approved_by: str


class _PaymentAnswer(DomainEvent):
    topic = "finance.payment"
    aggregate_field = "award_id"

    award_id: str
    idempotency_key: str
    attempt: int = Field(ge=1)


class PaymentSettled(_PaymentAnswer):
    event_type = "finance.payment.settled"
    summary = "Finance paid a requested reward (payment.settled)."

    amount: str = Field(description="yuan, exact decimal string; must equal the request")
    reference: str = Field(description="finance's payment reference")


class PaymentFailed(_PaymentAnswer):
    event_type = "finance.payment.failed"
    summary = "Finance could not pay a requested reward (payment.failed); the reservation is freed."

    reason: str


class PaymentReversed(_PaymentAnswer):
    event_type = "finance.payment.reversed"
    summary = (
        "Money paid for a reward came back to finance (追回, payment.reversed): a revocation or "
        "a corrected report made it owed; recorded once per receipt."
    )

    amount: str = Field(description="yuan, exact decimal string; at most what is still owed")
    reference: str = Field(description="finance's receipt (缴款凭证) for the money back")


REWARD_EVENTS: tuple[type[DomainEvent], ...] = (
    PaymentRequested,
    PaymentSettled,
    PaymentFailed,
    PaymentReversed,
)
