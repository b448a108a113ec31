"""How far a measured value meets a target (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def every_area_progress(
    target: Target, values: Mapping[str, Decimal], areas: Sequence[str], total: Decimal
) -> tuple[dict[str, TargetProgress], TargetProgress]:
    """A target that binds each city or county (000 二（一）4 "每个市州至少…"): each area
    against the target (an area with nothing counted is 0), and overall: met when every area
    meets it, the share met being the share of areas that do; ``current`` stays the total."""
    codes = sorted(set(areas) | set(values))
    each = {code: progress_of(target, values.get(code, Decimal(0))) for code in codes}
    met = sum(1 for item in each.values() if item.met)
    share = (
        (Decimal(met) / Decimal(len(codes))).quantize(SHARE_PLACES, rounding=ROUND_DOWN)
        if codes
        else None
    )
    overall = TargetProgress(target, True, total, share, bool(codes) and met == len(codes))
    return each, overall
