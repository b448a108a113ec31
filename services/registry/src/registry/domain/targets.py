"""How far a measured value meets a target, and where and when a target counts (pure: no I/O).

What registry data measures which metric is ``registry.db.targets``; targets that are
statistics are measured by ``registry.domain.statistics``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from registry.domain.regions import RegionLevel, RegionTree
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


@dataclass(frozen=True)
class Horizon:
    """When a programme's targets are measured for a requested year.

    The period's end is the horizon of the targets (004 一: 到2025年), not of the programme's
    obligations (the yearly report and dynamic management go on). A year past it is not
    measured as if it were current: ``passed`` says so, and the targets are measured as they
    stood at the horizon (``year`` is then the period's last year)."""

    end: dt.date
    passed: bool
    year: int  # the year measured
    last_day: dt.date  # the last day counted: min(31 December of ``year``, the horizon, today)


def horizon_of(programme: Programme, year: int, today: dt.date) -> Horizon:
    end = programme.period.end
    passed = year > end.year
    measured = end.year if passed else year
    return Horizon(end, passed, measured, min(dt.date(measured, 12, 31), end, today))


def counted_period(
    target: Target, programme: Programme, year: int, today: dt.date
) -> tuple[dt.date, dt.date]:
    """A per-year target counts its year; any other its programme's period, both up to the end
    of ``year`` (a past year counts what stood at its end), the horizon and today."""
    last_day = min(dt.date(year, 12, 31), programme.period.end, today)
    if target.per_year:
        return dt.date(year, 1, 1), last_day
    return programme.period.start, last_day


def covered_areas(
    target: Target, counts: Mapping[str, Decimal], tree: RegionTree, jurisdiction: str
) -> tuple[list[str], set[str]]:
    """A target met when *every* area of a level has one (000 二(五)17: 全省41个县全部建成):
    the areas it names (the jurisdiction's current areas of ``coverage.level`` less the ones it
    excludes) and those among them with something counted. A record under a retired code
    counts for the area that succeeded it."""
    coverage = target.coverage
    if coverage is None:
        raise ValueError(f"target {target.id!r} has no coverage")
    excluded = set(coverage.exclude)
    areas = [
        region.code
        for region in tree.descendants(jurisdiction, level=RegionLevel(coverage.level))
        if region.code not in excluded
    ]
    covered = set()
    for code, value in counts.items():
        if value > 0 and code in tree:
            covered.add(tree.current(code).code)
    return areas, covered & set(areas)


def coverage_progress(target: Target, areas: Sequence[str], covered: set[str]) -> TargetProgress:
    """``current`` is the number of areas covered; met only when every area is (全部)."""
    item = progress_of(target, Decimal(len(covered)))
    return TargetProgress(
        target, True, item.current, item.share_met, bool(areas) and len(covered) == len(areas)
    )
