"""Sums up the hierarchy without double counting, reconciliation, derived ratios and growth.

000_97a6efa9592fa78d.txt 三(三): 避免重复统计、交叉统计. Each indicator is summed from its one
reporting level: a county-level indicator from the counties (the city's figure is the sum of
its counties); a city's own total of it is compared with that sum (reconciliation), never
added. Enterprise figures are monitoring data: summed by the enterprise's region but kept apart
from regional totals unless the programme says they count as regional. A ratio is recomputed
from its summed parts at every level, never summed.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from shared.programmes import Aggregation, ReportingLevel, Statistics, StatisticsIndicator
from submissions.domain.statistics.figures import ReporterKind

RATIO_PLACES = Decimal("0.01")
GROWTH_PLACES = Decimal("0.1")


class ReportedFigure(NamedTuple):
    """One accepted (or still provisional) figure of one reporter. A named tuple: a view
    builds hundreds per request, and a frozen dataclass took six times as long to build."""

    reporter_id: str
    kind: ReporterKind
    region_code: str  # the county, the city, or the enterprise's county (or city)
    key: str
    value: Decimal
    provisional: bool = False


@dataclass(frozen=True)
class Total:
    value: Decimal | None
    reporters: int = 0
    provisional: bool = False
    breakdown: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Reconciliation:
    """A city's own total against the sum of its counties: shown, never added."""

    city_code: str
    reported: Decimal
    sum_of_counties: Decimal
    difference: Decimal


@dataclass(frozen=True)
class Aggregate:
    """Totals per region code (the root, its cities, its counties) and the reconciliations."""

    indicator: str
    basis: str  # "regional" or "monitored_enterprises"
    totals: Mapping[str, Total]
    reconciliations: Mapping[str, Reconciliation] = field(default_factory=dict)


def city_of(code: str) -> str:
    return code[:4] + "00"


@functools.lru_cache(maxsize=65536)
def ancestors(code: str, root: str) -> tuple[str, ...]:
    """The region itself and each level above it up to ``root`` (a province or a city).
    Remembered: it depends on the two codes alone, and every view asks it for each of its
    regions in each of its periods (China has about 3,000 counties)."""
    chain = [code]
    if code[4:] != "00":
        chain.append(city_of(code))
    if root.endswith("0000") and code[2:] != "0000":
        chain.append(root)
    prefix = _prefix(root)
    return tuple(c for c in dict.fromkeys(chain) if c.startswith(prefix))


def _prefix(root: str) -> str:
    return root[:2] if root.endswith("0000") else root[:4]


def aggregate(
    statistics: Statistics,
    indicator_id: str,
    figures: Iterable[ReportedFigure],
    *,
    root: str,
    regions: Callable[[str], bool] | None = None,
) -> Aggregate:
    """Totals and reconciliations of every region under ``root``; with ``regions``, only of
    those it answers True for (the same figures, so each kept total is the one the full
    aggregate has; a view that shows a region and its children need not total the rest)."""
    indicator = statistics.indicator(indicator_id)
    figures = list(figures)
    if indicator.aggregation is Aggregation.derived:
        return _derived(statistics, indicator, figures, root, regions)
    enterprise = indicator.level is ReportingLevel.enterprise
    basis = (
        "monitored_enterprises" if enterprise and not indicator.counts_as_regional else "regional"
    )
    level_kind = ReporterKind(indicator.level.value)
    prefix = _prefix(root)
    own, below = indicator.id, indicator.id + "."  # the indicator's key and its breakdown's
    mine = [
        f
        for f in figures
        if (f.key == own or f.key.startswith(below)) and f.region_code.startswith(prefix)
    ]
    summed: dict[str, list[ReportedFigure]] = defaultdict(list)
    # A region's chain worked out once: its figures (every key, every period) share it.
    chains: dict[str, tuple[str, ...]] = {}
    for figure in mine:
        if figure.kind is level_kind:
            chain = chains.get(figure.region_code)
            if chain is None:
                chain = ancestors(figure.region_code, root)
                if regions is not None:
                    chain = tuple(code for code in chain if regions(code))
                chains[figure.region_code] = chain
            for code in chain:
                summed[code].append(figure)
    totals = {code: _total(items) for code, items in summed.items()}
    reconciliations: dict[str, Reconciliation] = {}
    for figure_group in _city_totals(mine, level_kind).items():
        city, items = figure_group
        if regions is not None and not regions(city):
            continue
        reported = sum((f.value for f in items), Decimal(0))
        counties = totals.get(city, Total(Decimal(0))).value or Decimal(0)
        reconciliations[city] = Reconciliation(city, reported, counties, reported - counties)
    return Aggregate(indicator.id, basis, totals, reconciliations)


def _city_totals(
    figures: list[ReportedFigure], level_kind: ReporterKind
) -> dict[str, list[ReportedFigure]]:
    if level_kind is not ReporterKind.county:
        return {}
    by_city: dict[str, list[ReportedFigure]] = defaultdict(list)
    for figure in figures:
        if figure.kind is ReporterKind.city:
            by_city[city_of(figure.region_code)].append(figure)
    return by_city


def _total(items: list[ReportedFigure]) -> Total:
    # One pass (the sum in the figures' order, as ``sum`` adds them).
    breakdown: dict[str, Decimal] = defaultdict(Decimal)
    value = Decimal(0)
    reporters: set[str] = set()
    provisional = False
    for item in items:
        value += item.value
        reporters.add(item.reporter_id)
        provisional = provisional or item.provisional
        if "." in item.key:
            breakdown[item.key] += item.value
    return Total(
        value=value,
        reporters=len(reporters),
        provisional=provisional,
        breakdown=dict(sorted(breakdown.items())),
    )


def _derived(
    statistics: Statistics,
    indicator: StatisticsIndicator,
    figures: list[ReportedFigure],
    root: str,
    regions: Callable[[str], bool] | None,
) -> Aggregate:
    if indicator.numerator is None or indicator.denominator is None:
        raise ValueError(f"the ratio {indicator.id} names no numerator or denominator")
    numerator = aggregate(statistics, indicator.numerator, figures, root=root, regions=regions)
    denominator = aggregate(statistics, indicator.denominator, figures, root=root, regions=regions)
    totals: dict[str, Total] = {}
    for code, below in denominator.totals.items():
        above = numerator.totals.get(code)
        totals[code] = Total(
            value=ratio(above.value if above else None, below.value),
            reporters=below.reporters,
            provisional=below.provisional or bool(above and above.provisional),
        )
    return Aggregate(indicator.id, denominator.basis, totals)


def ratio(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """``part`` as a percentage of ``whole`` to 0.01; None when either is missing or whole is 0."""
    if part is None or whole is None or whole == 0:
        return None
    return (part * 100 / whole).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def growth(current: Decimal | None, earlier: Decimal | None) -> Decimal | None:
    """Growth in percent to 0.1 (10.0 for 10 %); None without a non-zero earlier figure."""
    if current is None or earlier is None or earlier == 0:
        return None
    return ((current - earlier) * 100 / earlier).quantize(GROWTH_PLACES, rounding=ROUND_HALF_UP)


def changed_regions(before: Aggregate, after: Aggregate) -> list[str]:
    """Regions whose total differs: what a correction re-publishes."""
    codes = sorted(set(before.totals) | set(after.totals))
    return [
        code
        for code in codes
        if (before.totals.get(code) or Total(None)).value
        != (after.totals.get(code) or Total(None)).value
    ]
