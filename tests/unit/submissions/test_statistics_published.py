"""The published view totals only the regions it shows (a region and its children): each of
their totals, reconciliations and growths is the one the full aggregate over every region
gives, on random figures of every kind, key and level."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from shared.programmes import Aggregation, Statistics, load_programme
from submissions.domain.statistics.aggregation import ReportedFigure, Total, aggregate, growth
from submissions.domain.statistics.figures import ReporterKind
from submissions.domain.statistics.periods import (
    PeriodKey,
    parse_period,
    period_opens_at,
    period_schedule,
)
from submissions.domain.statistics.published import children_of, level_of, published_rows

ROOT = Path(__file__).resolve().parents[3]
PROVINCE = "630000"
CITIES = ("630100", "630200", "632200")
COUNTIES = ("630102", "630121", "630123", "630202", "630203", "632221")


@pytest.fixture(scope="module")
def qinghai() -> Statistics:
    statistics = load_programme(ROOT / "shared/programmes/qinghai-2024-2026.yaml").statistics
    assert statistics is not None
    return statistics


def _figures(statistics: Statistics, rng: random.Random) -> list[ReportedFigure]:
    keys = [
        key
        for indicator in statistics.indicators
        if indicator.aggregation is not Aggregation.derived
        for key in indicator.figure_keys(statistics.customs_modes)
    ]
    figures = []
    for n in range(rng.randint(0, 40)):
        kind = rng.choice(list(ReporterKind))
        region = rng.choice(CITIES if kind is ReporterKind.city else COUNTIES)
        reporter = region if kind is not ReporterKind.enterprise else f"ent-{n % 5}"
        value = Decimal(rng.randint(0, 10**6)) / 100
        figures.append(
            ReportedFigure(reporter, kind, region, rng.choice(keys), value, rng.random() < 0.2)
        )
    return figures


def _shown(region: str, by: str, code: str) -> bool:
    return code == region or children_of(region, code, by)


def test_a_restricted_aggregate_keeps_the_full_ones_totals(qinghai: Statistics) -> None:
    rng = random.Random(13)
    for _ in range(200):
        figures = _figures(qinghai, rng)
        region, by = rng.choice((PROVINCE, *CITIES, *COUNTIES)), rng.choice(("city", "county"))
        for indicator in qinghai.indicators:
            full = aggregate(qinghai, indicator.id, figures, root=PROVINCE)
            kept = aggregate(
                qinghai,
                indicator.id,
                figures,
                root=PROVINCE,
                regions=lambda code, r=region, b=by: _shown(r, b, code),
            )
            assert kept.basis == full.basis
            assert kept.totals == {c: t for c, t in full.totals.items() if _shown(region, by, c)}
            assert kept.reconciliations == {
                c: r for c, r in full.reconciliations.items() if _shown(region, by, c)
            }


def _reference_rows(
    statistics: Statistics,
    indicator_id: str,
    period: PeriodKey,
    figures: dict[str, list[ReportedFigure]],
    region: str,
    by: str,
) -> list[tuple[object, ...]]:
    """The view's rows from the full aggregates, as it was built before it totalled only the
    regions it shows."""
    summed = statistics.indicator(indicator_id).aggregation is Aggregation.sum

    def at(key: PeriodKey) -> dict[str, Total]:
        return dict(aggregate(statistics, indicator_id, figures[str(key)], root=PROVINCE).totals)

    now = aggregate(statistics, indicator_id, figures[str(period)], root=PROVINCE)
    before, a_year_ago = at(period.previous()), at(period.a_year_earlier())
    codes = [region, *sorted(c for c in now.totals if children_of(region, c, by))]
    rows = []
    for code in codes:
        total = now.totals.get(code, Total(None))

        def earlier(other: dict[str, Total], total: Total = total, code: str = code) -> object:
            found = other.get(code)
            return growth(total.value, found.value if found else None) if summed else None

        rows.append(
            (
                code,
                level_of(code),
                total.value,
                total.reporters,
                total.provisional,
                earlier(a_year_ago),
                earlier(before),
                dict(total.breakdown),
                now.reconciliations.get(code),
            )
        )
    return rows


def test_the_published_rows_are_those_of_the_full_aggregates(qinghai: Statistics) -> None:
    rng = random.Random(2025)
    period = parse_period("2025-01")
    for _ in range(150):
        figures = {
            str(key): _figures(qinghai, rng)
            for key in (period, period.previous(), period.a_year_earlier())
        }
        region, by = rng.choice((PROVINCE, *CITIES, *COUNTIES)), rng.choice(("city", "county"))
        for indicator in qinghai.indicators:
            _, rows = published_rows(
                qinghai, indicator.id, period, figures, jurisdiction=PROVINCE, region=region, by=by
            )
            assert [
                (
                    r.region_code,
                    r.level,
                    r.value,
                    r.reporters,
                    r.provisional,
                    r.year_on_year,
                    r.period_on_period,
                    dict(r.breakdown),
                    r.reconciliation,
                )
                for r in rows
            ] == _reference_rows(qinghai, indicator.id, period, figures, region, by)


def test_a_period_opens_when_its_schedule_says(qinghai: Statistics) -> None:
    for text in ("2024-02", "2024-12", "2025-01", "2025-Q1", "2024-Q4", "2024", "2025"):
        key = parse_period(text)
        due = qinghai.schedule.for_period(key.kind)
        assert period_opens_at(key) == period_schedule(key, due).opens_at
