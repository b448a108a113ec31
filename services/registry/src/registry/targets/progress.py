"""How far a measured value meets a target (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from shared.programmes import Programme
from shared.programmes.model import Target

SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class TargetProgress:
    target: Target
    measurable: bool
    current: Decimal | None
    share_met: Decimal | None
    met: bool | None
    reason: str | None = None


def progress_of(
    target: Target, current: Decimal | None, *, reason: str | None = None
) -> TargetProgress:
    """The share met is current / target, rounded down to 4 places (1.0000 = exactly met);
    ``met`` applies the document's comparison: ``at_least`` (…以上) is ≥, ``more_than``
    (突破, 超过) is > (see ``shared.programmes.common.Comparison``)."""
    if current is None:
        return TargetProgress(target, False, None, None, None, reason)
    share = (
        (current / target.value).quantize(SHARE_PLACES, rounding=ROUND_DOWN)
        if target.value
        else None
    )
    return TargetProgress(
        target, True, current, share, target.comparison.holds(current, target.value)
    )


def breakdown_level(programme: Programme) -> str:
    """A province's programme breaks down by city/prefecture, a city's by county/district."""
    return "city" if programme.jurisdiction.endswith("0000") else "county"


def jurisdiction_prefix(region_code: str) -> str:
    """The code prefix every region inside a jurisdiction shares (GB/T 2260 shape)."""
    if region_code.endswith("0000"):
        return region_code[:2]
    if region_code.endswith("00"):
        return region_code[:4]
    return region_code
