"""Request and response bodies of the rewards routes (amounts in yuan, exact decimals), and
how the ledger's views render as them."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from awards.domain.rewards.budgets import Budget
from awards.domain.rewards.views import AwardView
from shared.http.request_body import RequestBody

# No amount of these programmes comes near it; it keeps fen within PostgreSQL bigint.
MAX_YUAN = Decimal(10**12)


class BudgetSet(RequestBody):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(
        ge=0, le=MAX_YUAN, decimal_places=2, description="专项资金 for the year, yuan"
    )


class BudgetPublic(BaseModel):
    programme_id: str
    year: int
    kind: str
    amount: Decimal
    reserved: Decimal
    paid: Decimal
    left: Decimal


class ProposalCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    programme_id: str = Field(max_length=100)
    reward_id: str = Field(max_length=80)
    entity_type: Literal["enterprise", "park", "team"]
    entity_id: str = Field(min_length=1, max_length=100)
    year: int = Field(ge=2000, le=2100)
    round_amount: Decimal | None = Field(
        default=None, gt=0, le=MAX_YUAN, decimal_places=2, description="the round's amount, where the "
        "programme sets none (Qinghai) or the province gives less than the cap",
    )  # fmt: skip
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$")


class ApprovalCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(
        gt=0, le=MAX_YUAN, decimal_places=2, description="yuan, at most the award's cap"
    )


class VoidCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class EntryPublic(BaseModel):
    seq: int
    attempt: int
    kind: str
    amount: Decimal
    actor: str
    reason: str | None
    detail: dict[str, Any]
    at: dt.datetime


class RemainderCreate(BaseModel):
    """The province's decision on what remains of an award approved for less than its amount."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["request", "waive"] = Field(
        description="request: the rest becomes an award of its own, approved as usual; "
        "waive: it will not be paid (an entry and an event for finance)"
    )
    reason: str = Field(min_length=1, max_length=2000)


class RemainderPublic(BaseModel):
    status: Literal["none", "requested", "waived"]
    award_id: uuid.UUID | None = Field(
        default=None, description="requested: the remainder award, approved like any other"
    )
    amount: Decimal | None = Field(default=None, description="what remained when decided")
    reason: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None


class RewardPublic(BaseModel):
    id: uuid.UUID
    programme_id: str
    reward_id: str
    kind: str
    entity_type: str
    entity_id: str
    region_code: str | None
    year: int
    tier: str
    max_amount: Decimal = Field(description="the most the province may approve (negative: owed)")
    cap_group: str
    cap: Decimal
    working: dict[str, Any] = Field(description="rule, inputs with report version, cap, amount")
    report_id: str | None
    report_version: int | None
    adjusts: uuid.UUID | None
    idempotency_key: str
    status: str
    status_reason: str | None
    recovery_flagged: bool
    recovered: Decimal = Field(description="追回: what came back on this award (reversed entries)")
    recovery_outstanding: Decimal = Field(
        description="what the award still owes back: flagged for recovery less recovered"
    )
    approved: Decimal | None = Field(
        description="what the standing approval is for (settled, or requested and unanswered); "
        "null while nothing is approved"
    )
    remaining: Decimal | None = Field(
        description="the amount not approved (max_amount less approved); null while nothing "
        "is approved"
    )
    remainder: RemainderPublic = Field(
        description="the province's decision on what remains: none, requested, waived"
    )
    proposed_by: str
    proposed_at: dt.datetime
    entries: list[EntryPublic]


class RecoveryCreate(RequestBody):
    """Money owed back came back (追回): how much, and finance's receipt for it."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(
        gt=0, le=MAX_YUAN, decimal_places=2, description="yuan, at most what is still owed"
    )
    reference: str = Field(
        min_length=1, max_length=200, description="finance's receipt (缴款凭证) number"
    )
    reason: str | None = Field(default=None, max_length=2000)


class PaymentResult(RequestBody):
    """Finance's signed callback: the same facts as its ``finance.payment.*`` events
    (``reversed``: money owed back came back, with ``amount`` and the receipt's ``reference``)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["settled", "failed", "reversed"]
    award_id: uuid.UUID
    idempotency_key: str = Field(min_length=1, max_length=300)
    attempt: int = Field(ge=1)
    amount: Decimal | None = Field(default=None, ge=0, le=MAX_YUAN, decimal_places=2)
    reference: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)


class PaymentResultRecorded(BaseModel):
    award_id: uuid.UUID
    attempt: int
    recorded: bool = Field(description="False: this answer was already recorded (a retry)")


class StatisticsYearSet(RequestBody):
    model_config = ConfigDict(extra="forbid")

    in_statistics_list: bool = Field(description="限额以上/上规入统 in the year")


class ProposalRunCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    programme_id: str = Field(max_length=100)
    reward_id: str = Field(max_length=80, description="a sales milestone or the traffic subsidy")
    year: int = Field(ge=2000, le=2100)


class ProposalRun(BaseModel):
    proposed: list[dict[str, str]]
    not_eligible: list[dict[str, str]] = Field(description="entity, type and the reason")
    already: list[dict[str, str]]


def reward_public(view: AwardView) -> RewardPublic:
    return RewardPublic(
        **view.fields(),
        entries=[EntryPublic(**asdict(entry)) for entry in view.entries],
        remainder=RemainderPublic(**asdict(view.remainder)),
    )


def budget_public(budget: Budget) -> BudgetPublic:
    return BudgetPublic(**asdict(budget))
