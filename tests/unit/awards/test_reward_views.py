"""What an award's entries say (approved, remaining, owed back, the remainder decision) and how
the ledger's views render as the API's bodies: the same JSON the routes answered with when they
built the bodies from the rows themselves."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from awards.api.reward_schemas import (
    BudgetPublic,
    EntryPublic,
    RemainderPublic,
    RewardPublic,
    budget_public,
    reward_public,
)
from awards.domain.rewards.budgets import Budget
from awards.domain.rewards.views import AwardView, Entry, approved_amount, remainder
from awards.domain.rewards.working import yuan

AT = dt.datetime(2025, 3, 1, 2, 0, tzinfo=dt.UTC)


def entry(seq: int, attempt: int, kind: str, fen: int, **detail: Any) -> Entry:
    return Entry.of(
        {"seq": seq, "attempt": attempt, "kind": kind, "amount_fen": fen, "actor": "province",
         "reason": None, "detail": detail, "at": AT}
    )  # fmt: skip


def award_row(**changes: Any) -> dict[str, Any]:
    return {
        "id": uuid.UUID(int=1), "programme_id": "guizhou-shibaiqianwan-2023",
        "reward_id": "base-designation", "kind": "designation", "entity_type": "park",
        "entity_id": "park-1", "region_code": "520302", "year": 2024, "tier": "base-designation",
        "cap_group": "base-designation", "cap_year": 0, "cap_fen": 50_000_000,
        "max_fen": 50_000_000, "working": {"rule": "base-designation"}, "report_id": None,
        "report_version": None, "adjusts": None, "idempotency_key": "k", "status": "settled",
        "status_reason": None, "recovery_flagged": False, "proposed_by": "province",
        "proposed_at": AT, **changes,
    }  # fmt: skip


def test_the_approval_that_stands() -> None:
    assert approved_amount([entry(1, 0, "proposed", 100)]) is None
    reserved = [entry(1, 0, "proposed", 100), entry(2, 1, "reserved", 80)]
    assert approved_amount(reserved) == Decimal("0.80")
    failed = [*reserved, entry(3, 1, "failed", 80)]
    assert approved_amount(failed) is None
    again = [*failed, entry(4, 2, "reserved", 60), entry(5, 2, "settled", 60)]
    assert approved_amount(again) == Decimal("0.60")


def test_the_remainder_decision() -> None:
    assert remainder([entry(1, 0, "proposed", 100)]).status == "none"
    rest = uuid.UUID(int=7)
    requested = remainder([entry(1, 1, "remainder_requested", 20, award_id=str(rest))])
    assert (requested.status, requested.award_id, requested.amount) == (
        "requested", rest, Decimal("0.20"),
    )  # fmt: skip
    waived = remainder([entry(1, 1, "remainder_waived", 20)])
    assert (waived.status, waived.award_id) == ("waived", None)


def test_an_award_renders_as_the_routes_built_it_from_its_rows() -> None:
    rest = uuid.UUID(int=9)
    entries = [
        entry(1, 0, "proposed", 50_000_000),
        entry(2, 1, "reserved", 30_000_000),
        entry(3, 1, "payment_requested", 30_000_000),
        entry(4, 1, "settled", 30_000_000),
        entry(5, 1, "recovery_flagged", 1_000_000),
        entry(6, 1, "reversed", 400_000, reference="R-1"),
        entry(7, 1, "remainder_requested", 20_000_000, award_id=str(rest)),
    ]
    row = award_row()
    view = AwardView(row, entries)
    # The body as the routes built it before the views were domain objects.
    public_entries = [
        EntryPublic(seq=e.seq, attempt=e.attempt, kind=e.kind, amount=e.amount, actor=e.actor,
                    reason=e.reason, detail=e.detail, at=e.at)
        for e in entries
    ]  # fmt: skip
    values = dict(row)
    values["max_amount"] = yuan(values.pop("max_fen"))
    values["cap"] = yuan(values.pop("cap_fen"))
    values.pop("cap_year")
    expected = RewardPublic(
        **values, entries=public_entries, recovered=Decimal("4000.00"),
        recovery_outstanding=Decimal("6000.00"), approved=Decimal("300000.00"),
        remaining=Decimal("200000.00"),
        remainder=RemainderPublic(status="requested", award_id=rest, amount=Decimal("200000.00"),
                                  reason=None, decided_by="province", decided_at=AT),
    )  # fmt: skip
    rendered = reward_public(view)
    assert rendered.model_dump(mode="json") == expected.model_dump(mode="json")
    assert (view.approved, view.remaining) == (rendered.approved, rendered.remaining)
    assert (view.recovered, view.recovery_outstanding) == (Decimal("4000.00"), Decimal("6000.00"))


def test_a_budget_renders_and_audits_as_its_public_body() -> None:
    budget = Budget.of(
        {"programme_id": "p", "year": 2024, "kind": "designation", "amount_fen": 100_000_00,
         "reserved_fen": 25_000_00, "paid_fen": 5_000_01}
    )  # fmt: skip
    public = budget_public(budget)
    assert public == BudgetPublic(
        programme_id="p", year=2024, kind="designation", amount=Decimal("100000.00"),
        reserved=Decimal("25000.00"), paid=Decimal("5000.01"), left=Decimal("69999.99"),
    )  # fmt: skip
    assert budget.as_json() == public.model_dump(mode="json")
