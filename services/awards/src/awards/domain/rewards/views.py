"""What an award shows besides its row: its entries, the approval that stands, what remains
of it and the province's decision on that, and what it owes back. Amounts are yuan."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from awards.domain.rewards.ledger import Row
from awards.domain.rewards.working import FEN, yuan


@dataclass(frozen=True)
class Entry:
    """One append-only ledger entry of an award."""

    seq: int
    attempt: int
    kind: str
    amount: Decimal
    actor: str
    reason: str | None
    detail: dict[str, Any]
    at: dt.datetime

    @classmethod
    def of(cls, row: Row) -> Entry:
        return cls(
            seq=row["seq"],
            attempt=row["attempt"],
            kind=row["kind"],
            amount=yuan(row["amount_fen"]),
            actor=row["actor"],
            reason=row["reason"],
            detail=row["detail"],
            at=row["at"],
        )


@dataclass(frozen=True)
class RemainderDecision:
    """The province's one decision on what remains of an award, or ``none`` yet."""

    status: Literal["none", "requested", "waived"]
    award_id: uuid.UUID | None = None  # requested: the remainder award
    amount: Decimal | None = None
    reason: str | None = None
    decided_by: str | None = None
    decided_at: dt.datetime | None = None


def approved_amount(entries: Sequence[Entry]) -> Decimal | None:
    """The approval that stands: the settled payment, else the last attempt's reservation
    unless finance answered it failed (a failure frees it; the award may be approved again)."""
    settled = [e.amount for e in entries if e.kind == "settled"]
    if settled:
        return settled[0]
    last = max((e.attempt for e in entries), default=0)
    kinds = {e.kind: e.amount for e in entries if e.attempt == last}
    if "reserved" in kinds and "failed" not in kinds:
        return kinds["reserved"]
    return None


def remainder(entries: Sequence[Entry]) -> RemainderDecision:
    for entry in entries:
        if entry.kind in ("remainder_requested", "remainder_waived"):
            requested = entry.kind == "remainder_requested"
            rest = entry.detail.get("award_id") if requested else None
            return RemainderDecision(
                status="requested" if requested else "waived",
                award_id=None if rest is None else uuid.UUID(str(rest)),
                amount=entry.amount,
                reason=entry.reason,
                decided_by=entry.actor,
                decided_at=entry.at,
            )
    return RemainderDecision(status="none")


@dataclass(frozen=True)
class AwardView:
    """An award as the ledger shows it: its row (``award``) with every entry, in order."""

    award: Mapping[str, Any]
    entries: Sequence[Entry]

    @property
    def programme_id(self) -> str:
        programme_id: str = self.award["programme_id"]
        return programme_id

    @property
    def region_code(self) -> str | None:
        region_code: str | None = self.award["region_code"]
        return region_code

    @property
    def status(self) -> str:
        status: str = self.award["status"]
        return status

    @property
    def working(self) -> dict[str, Any]:
        working: dict[str, Any] = self.award["working"]
        return working

    @property
    def max_amount(self) -> Decimal:
        """The most the province may approve (negative: owed back)."""
        return yuan(self.award["max_fen"])

    @property
    def recovered(self) -> Decimal:
        """追回: what came back on this award (reversed entries)."""
        back = sum((e.amount for e in self.entries if e.kind == "reversed"), Decimal(0))
        return back.quantize(FEN)

    @property
    def recovery_outstanding(self) -> Decimal:
        """What the award still owes back: flagged for recovery less recovered."""
        back = sum((e.amount for e in self.entries if e.kind == "reversed"), Decimal(0))
        flagged = sum((e.amount for e in self.entries if e.kind == "recovery_flagged"), Decimal(0))
        return (flagged - back).quantize(FEN)

    @property
    def approved(self) -> Decimal | None:
        return approved_amount(self.entries)

    @property
    def remaining(self) -> Decimal | None:
        """The amount not approved (max_amount less approved); None while nothing is."""
        approved = self.approved
        return None if approved is None else self.max_amount - approved

    @property
    def remainder(self) -> RemainderDecision:
        return remainder(self.entries)

    def fields(self) -> dict[str, Any]:
        """The award's columns as the API names them (amounts in yuan, no ``cap_year``), with
        what its entries say; the entries and the remainder decision themselves apart."""
        values: dict[str, Any] = dict(self.award)
        values["max_amount"] = yuan(values.pop("max_fen"))
        values["cap"] = yuan(values.pop("cap_fen"))
        values.pop("cap_year")
        approved = self.approved
        return {
            **values,
            "recovered": self.recovered,
            "recovery_outstanding": self.recovery_outstanding,
            "approved": approved,
            "remaining": None if approved is None else values["max_amount"] - approved,
        }
