"""What a computed award shows: the rule, its inputs with their source report, the cap applied
and the amount. Money is Decimal yuan to the fen; the ledger stores integer fen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from shared.i18n import Text

FEN = Decimal("0.01")


def to_fen(amount: Decimal) -> int:
    """Whole fen, never rounded up: an award is "不超过" its cap."""
    return int((amount.quantize(FEN, rounding=ROUND_DOWN) * 100).to_integral_value())


def yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


@dataclass(frozen=True)
class AcceptedReport:
    """An accepted annual report's figures (submissions ``report.accepted``), as awards keeps it."""

    report_id: str
    version: int
    year: int
    figures: Mapping[str, Decimal]

    def source(self, indicator: str) -> dict[str, Any]:
        return {
            "indicator": indicator,
            "value": str(self.figures[indicator]),
            "report_id": self.report_id,
            "report_version": self.version,
            "year": self.year,
        }


@dataclass(frozen=True)
class Working:
    rule: str  # the programme's reward id
    rule_name: str
    source: str  # seed file and section
    inputs: dict[str, Any]
    cap: Decimal  # the cap applied to this award (after any difference rule)
    cap_reason: str
    amount: Decimal  # the most the province may approve
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "rule_name": self.rule_name,
            "source": self.source,
            "inputs": self.inputs,
            "cap": str(self.cap),
            "cap_reason": self.cap_reason,
            "amount": str(self.amount),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Proposal:
    """An award the province may approve, up to ``working.amount``."""

    reward_id: str
    kind: str  # designation | sales_milestone | traffic_subsidy | statistics_list_entry
    tier: str  # what "once" is counted by: the reward id, or the year for a yearly subsidy
    year: int
    working: Working

    @property
    def amount(self) -> Decimal:
        return self.working.amount


@dataclass(frozen=True)
class Ineligible:
    reward_id: str
    reason: Text
    inputs: dict[str, Any] = field(default_factory=dict)
