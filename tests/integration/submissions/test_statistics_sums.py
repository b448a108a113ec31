"""The published view's sums done by PostgreSQL (``sums_in_force`` → ``aggregate_sums``) give
what the pure rule gives from the figures' rows (``figures_in_force`` → ``aggregate``): on a
random sample of county, city and enterprise figures, with breakdown keys, provisional reports,
a city reporting under one of its counties' codes and figures outside the root, for a province
and a city jurisdiction, every indicator (the derived share too), region and level."""

from __future__ import annotations

import asyncio
import random
import uuid
from decimal import Decimal

from shared.db.pool import connect
from shared.programmes import load_programmes
from submissions.db.statistics_repository import figures_in_force, sums_in_force
from submissions.domain.statistics.aggregation import aggregate, aggregate_sums
from submissions.domain.statistics.published import published_rows, published_rows_summed
from submissions.handlers.statistics import period_of

PERIODS = ["2025-01", "2024-12", "2024-01"]
STATES = ["accepted", "accepted", "submitted", "city_recommended"]


def _sample(root: str, seed: int) -> list[tuple[str, str, str, str, dict[str, Decimal]]]:
    """(reporter id, kind, region code, state, figures) for one period."""
    rng = random.Random(seed)
    province = root[:2]
    cities = [f"{province}{c:02d}00" for c in (1, 2, 3)] if root.endswith("0000") else [root]
    reporters: list[tuple[str, str, str]] = []
    for city in cities:
        reporters.append((city, "city", city))
        for county in range(1, rng.randint(2, 5)):
            code = f"{city[:4]}{county:02d}"
            reporters.append((code, "county", code))
        reporters.append((f"ent-{city}-1", "enterprise", f"{city[:4]}01"))
        reporters.append((f"ent-{city}-2", "enterprise", city))
    # A city bureau filed under a county's code, and reporters outside the root.
    reporters.append((f"{cities[0][:4]}99", "city", f"{cities[0][:4]}02"))
    reporters.append(("990101", "county", "990101"))
    if not root.endswith("0000"):
        reporters.append((f"{province}9901", "county", f"{province}9901"))
    return [
        (reporter, kind, region, rng.choice(STATES), {}) for reporter, kind, region in reporters
    ]


def _figures(rng: random.Random, indicators: list[str]) -> dict[str, Decimal]:
    figures: dict[str, Decimal] = {}
    for indicator in indicators:
        if rng.random() < 0.2:
            continue
        figures[indicator] = Decimal(rng.randint(0, 10**7)) / Decimal(10 ** rng.randint(0, 2))
        if rng.random() < 0.4:
            for part in ("a", "b"):
                figures[f"{indicator}.{part}"] = Decimal(rng.randint(0, 10**5)) / 100
    return figures


async def _compare(dsn: str, programme_id: str, seed: int) -> int:
    programme = load_programmes("shared/programmes")[programme_id]
    statistics = programme.statistics
    assert statistics is not None
    root = programme.jurisdiction
    monthly = [i.id for i in statistics.indicators if i.period.value == "monthly"]
    rng = random.Random(seed)
    connection = await connect(dsn)
    compared = 0
    try:
        async with connection.transaction():
            for period in PERIODS:
                for reporter, kind, region, _, _ in _sample(root, seed):
                    report_id = uuid.uuid4()
                    await connection.execute(
                        "INSERT INTO statistics_reports (id, programme_id, period, reporter_id,"
                        " reporter_kind, region_code, city_code, state)"
                        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        report_id, programme_id, period, reporter, kind, region,
                        region[:4] + "00", rng.choice(STATES),
                    )  # fmt: skip
                    figures = _figures(rng, monthly)
                    await connection.execute(
                        "INSERT INTO statistics_figures (programme_id, period, reporter_id,"
                        " reporter_kind, region_code, indicator, key, value)"
                        " SELECT $1, $2, $3, $4, $5, split_part(k, '.', 1), k, v"
                        " FROM unnest($6::text[], $7::numeric[]) AS f (k, v)",
                        programme_id, period, reporter, kind, region,
                        list(figures), list(figures.values()),
                    )  # fmt: skip
            options = {"programme_id": programme_id, "indicators": monthly, "periods": PERIODS}
            figures_found = await figures_in_force(connection, root=root, **options)
            sums_found = await sums_in_force(connection, root=root, **options)
            regions = sorted({region for _, _, region, _, _ in _sample(root, seed)})
            for indicator in monthly:
                for period in PERIODS:
                    expected = aggregate(statistics, indicator, figures_found[period], root=root)
                    assert aggregate_sums(statistics, indicator, sums_found[period]) == expected
                for region in [root, *regions]:
                    if not region.startswith(root[:2] if root.endswith("0000") else root[:4]):
                        continue
                    for by in ("city", "county"):
                        key = period_of(PERIODS[0])
                        assert published_rows_summed(
                            statistics, indicator, key, sums_found, region=region, by=by
                        ) == published_rows(
                            statistics,
                            indicator,
                            key,
                            figures_found,
                            jurisdiction=root,
                            region=region,
                            by=by,
                        )
                        compared += 1
            raise _RolledBack(compared)
    except _RolledBack as done:
        return done.compared
    finally:
        await connection.close()


class _RolledBack(Exception):
    """Leaves the sample's rows out of the module's database."""

    def __init__(self, compared: int) -> None:
        super().__init__(compared)
        self.compared = compared


def test_sql_sums_match_the_pure_rule_for_a_province(submissions_db: str) -> None:
    for seed in (1, 2, 3):
        assert asyncio.run(_compare(submissions_db, "guizhou-shibaiqianwan-2023", seed)) > 0


def test_sql_sums_match_the_pure_rule_for_a_city(submissions_db: str) -> None:
    for seed in (4, 5):
        assert asyncio.run(_compare(submissions_db, "qingdao-2014", seed)) > 0
