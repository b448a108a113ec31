"""The ledger's names and keys: what an award's statuses and remainder decisions are called,
the idempotency key finance pays once, and the budget and cap rows an award draws on."""

from __future__ import annotations

from typing import Any, Literal, Protocol

from shared.i18n import Text, t

# The award statuses as finance and the bureaus name them.
STATUS_NAMES = {
    "proposed": "拟奖补",
    "payment_requested": "已申请支付",
    "settled": "已结算",
    "failed": "支付失败",
    "voided": "已作废",
    "recovery_due": "待追回",
    "recovered": "已追回",
}

Decision = Literal["request", "waive"]
REMAINDER_SUFFIX = "_remainder"

# The remainder decisions as the ledger's entries name them.
DECISION_NAMES = {"remainder_requested": "申请支付", "remainder_waived": "放弃"}


class Row(Protocol):
    """An award as stored: a database row, read by column name."""

    def __getitem__(self, column: str, /) -> Any: ...


def status_text(status: str) -> Text:
    return t(f"“{STATUS_NAMES.get(status, status)}”", status)


def idempotency_key(
    programme_id: str, entity_type: str, entity_id: str, kind: str, year: int, tier: str
) -> str:
    """The same for every retry and redelivery of one award's payment: finance pays it once."""
    return f"{programme_id}:{entity_type}:{entity_id}:{kind}:{year}:{tier}"


def cap_key(award: Row) -> tuple[Any, ...]:
    return (
        award["programme_id"],
        award["entity_type"],
        award["entity_id"],
        award["cap_group"],
        award["cap_year"],
    )


def budget_key(award: Row) -> tuple[Any, ...]:
    # Adjustments draw on the subsidy budget, a remainder on its original's budget.
    kind = award["kind"].removesuffix(REMAINDER_SUFFIX).removesuffix("_adjustment")
    return (award["programme_id"], award["year"], kind)
