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
    amount: str = Field(description="yuan, exact decimal string: the amount approved")
    approved_by: str
    # What finance needs to pay without asking back (added within v1: optional, absent from
    # requests written before; a field awards does not know is absent, never guessed).
    payee_entity_id: str | None = Field(
        default=None,
        description="the enterprise paid: the entity itself, or the operator (运营主体) of a park, "
        "base or team",
    )
    payee_name: str | None = Field(default=None, description="the payee's registered name")
    payee_credit_code: str | None = Field(
        default=None, description="the payee's unified social credit code (统一社会信用代码)"
    )
    region_code: str | None = Field(default=None, description="GB/T 2260 code of the entity")
    programme_title: str | None = Field(default=None, description="the programme's name")
    legal_basis: str | None = Field(
        default=None, description="document number and section of the reward rule"
    )
    kind_name: str | None = Field(
        default=None, description="the reward as the programme names it (Chinese)"
    )
    max_amount: str | None = Field(
        default=None,
        description="yuan: the award's cap (what the rule allows); amount is at most this",
    )


class RecoveryDue(DomainEvent):
    event_type = "awards.payment.recovery_due"
    topic = "awards.payment"
    aggregate_field = "award_id"
    summary = (
        "Money paid (or requested) for a reward is owed back (追回): a revocation or a corrected "
        "report; finance collects it and answers with finance.payment.reversed per receipt."
    )

    award_id: str = Field(description="the award that owes (an adjustment names its own id)")
    paid_award_id: str = Field(description="the award whose payment is owed back (finance's)")
    idempotency_key: str = Field(description="the key finance paid (of paid_award_id)")
    programme_id: str
    entity_type: str
    entity_id: str
    year: int
    amount: str = Field(description="yuan owed back, exact decimal string")
    reason: str
    payee_entity_id: str | None = None
    payee_name: str | None = None
    payee_credit_code: str | None = None
    region_code: str | None = None


class RemainderWaived(DomainEvent):
    event_type = "awards.payment.remainder_waived"
    topic = "awards.payment"
    aggregate_field = "award_id"
    summary = (
        "The province waived what remains of an award approved (and settled) for less than its "
        "amount: finance records that the rest will not be paid under this award's key."
    )

    award_id: str
    idempotency_key: str = Field(description="the key finance paid the approved part under")
    programme_id: str
    reward_id: str
    kind: str
    entity_type: str
    entity_id: str
    region_code: str | None = Field(default=None, description="GB/T 2260 code of the entity")
    year: int
    tier: str
    max_amount: str = Field(description="yuan: the award's amount (its cap)")
    approved: str = Field(description="yuan: what was approved and settled")
    waived: str = Field(description="yuan: what remains and will not be paid")
    reason: str
    waived_by: str


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
    RecoveryDue,
    RemainderWaived,
    PaymentSettled,
    PaymentFailed,
    PaymentReversed,
)
