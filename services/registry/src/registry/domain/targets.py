"""How far a measured value meets a target, and where and when a target counts (pure: no I/O).

What registry data measures which metric is ``registry.db.targets``; targets that are
statistics are measured by ``registry.domain.statistics``."""

from __future__ import annotations

import datetime as dt
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


@dataclass(frozen=True)
class Window:
    """Where and when to count: a jurisdiction (code prefix), a programme, a period."""

    prefix: str
    programme_id: str
    first_day: dt.date
    last_day: dt.date

    def arguments(self) -> tuple[str, str, dt.date, dt.date]:
        return f"{self.prefix}%", self.programme_id, self.first_day, self.last_day


def counted_period(
    target: Target, programme: Programme, year: int, today: dt.date
) -> tuple[dt.date, dt.date]:
    """A per-year target counts its year; any other its programme's period up to today."""
    if target.per_year:
        return dt.date(year, 1, 1), min(dt.date(year, 12, 31), today)
    return programme.period.start, min(programme.period.end, today)
