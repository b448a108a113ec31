"""专项资金 per programme, year and reward kind, as the ledger keeps it: what is set, reserved
by approvals, paid by finance and left."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from awards.domain.rewards.ledger import Row
from awards.domain.rewards.working import yuan


@dataclass(frozen=True)
class Budget:
    programme_id: str
    year: int
    kind: str
    amount: Decimal
    reserved: Decimal
    paid: Decimal
    left: Decimal

    @classmethod
    def of(cls, row: Row) -> Budget:
        left = row["amount_fen"] - row["reserved_fen"] - row["paid_fen"]
        return cls(
            programme_id=row["programme_id"], year=row["year"], kind=row["kind"],
            amount=yuan(row["amount_fen"]), reserved=yuan(row["reserved_fen"]),
            paid=yuan(row["paid_fen"]), left=yuan(left),
        )  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        """As the API renders it: amounts as exact decimal strings."""
        return {
            key: str(value) if isinstance(value, Decimal) else value
            for key, value in asdict(self).items()
        }
