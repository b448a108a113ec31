"""Which registry data measures which programme metric (all SQL of target progress).

A metric the registry cannot measure (online retail, workers, growth rates, transaction
volumes: statistics reported through the submissions service) has no entry here and is
reported as not measurable, never as zero.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from shared.programmes.common import Metric


@dataclass(frozen=True)
class Measure:
    source: str  # FROM … WHERE …, with $1 = jurisdiction prefix pattern, $2 = programme id,
    # $3/$4 = the counted period's first and last day; the measured table is aliased "x".
    description: str


def _designated(*categories: str) -> Measure:
    listed = ", ".join(f"'{c}'" for c in categories)
    return Measure(
        "demonstration_status x WHERE x.region_code LIKE $1 AND x.programme_id = $2 "
        f"AND x.status = 'designated' AND x.category IN ({listed}) AND $3::date IS NOT NULL "
        "AND x.designated_on <= $4",
        f"designated demonstration projects of categories {', '.join(categories)} in this programme",
    )


def _active(table: str, condition: str = "true", what: str = "") -> Measure:
    return Measure(
        f"{table} x WHERE x.region_code LIKE $1 AND x.status = 'active' AND ({condition}) "
        "AND $2::text IS NOT NULL AND $3::date IS NOT NULL AND (x.created_at AT TIME ZONE 'Asia/Shanghai')::date <= $4",
        what or f"active {table}",
    )


def _new(table: str, date_column: str, what: str) -> Measure:
    return Measure(
        f"{table} x WHERE x.region_code LIKE $1 AND $2::text IS NOT NULL "
        f"AND (x.{date_column} AT TIME ZONE 'Asia/Shanghai')::date BETWEEN $3 AND $4",
        what,
    )


MEASURES: dict[Metric, Measure] = {
    Metric.designated_parks: _designated("park"),
    Metric.designated_live_bases: _designated("base"),
    Metric.leading_enterprises: _designated("enterprise"),
    Metric.live_teams: _designated("team"),
    Metric.leading_enterprises_and_live_teams: _designated("enterprise", "team"),
    Metric.best_selling_products: _active("products", what="active best-selling products"),
    Metric.parks_and_bases: _active(
        "parks",
        "x.kind IN ('industrial_park', 'demonstration_base', 'live_base')",
        "active parks and bases (industrial parks, demonstration and live-streaming bases)",
    ),
    Metric.live_bases: _active("parks", "x.kind = 'live_base'", "active live-streaming bases"),
    Metric.community_ecommerce_sites: _active(
        "parks", "x.kind = 'community_point'", "community e-commerce points"
    ),
    Metric.county_logistics_centres: _active(
        "parks", "x.kind = 'county_logistics_centre'", "county logistics centres"
    ),
    Metric.stores_total: _active("stores", what="active stores"),
    Metric.cross_border_enterprises: _active(
        "enterprises", "x.kinds @> ARRAY['cross_border']", "active cross-border enterprises"
    ),
    Metric.local_brands: _active("brands", what="active brands"),
    Metric.new_enterprises: _new(
        "enterprises", "created_at", "enterprises registered in the period"
    ),
    Metric.new_stores_per_year: Measure(
        "stores x WHERE x.region_code LIKE $1 AND $2::text IS NOT NULL AND "
        "COALESCE(x.opened_on, (x.created_at AT TIME ZONE 'Asia/Shanghai')::date) BETWEEN $3 AND $4",
        "stores opened in the year (registration date when the opening date is unknown)",
    ),
}

# The area a record counts for: its city/prefecture (a county's parent), or, for a city's
# programme, its county; province-direct counties count for themselves.
_AREA = {
    "city": "CASE WHEN r.level = 'county' AND p.level = 'city' THEN p.code "
    "ELSE COALESCE(r.code, x.region_code) END",
    "county": "x.region_code",
}


@dataclass(frozen=True)
class Window:
    """Where and when to count: a jurisdiction (code prefix), a programme, a period."""

    prefix: str
    programme_id: str
    first_day: dt.date
    last_day: dt.date

    def arguments(self) -> tuple[str, str, dt.date, dt.date]:
        return f"{self.prefix}%", self.programme_id, self.first_day, self.last_day


async def measure_total(
    connection: asyncpg.Connection, measure: Measure, window: Window
) -> Decimal:
    value = await connection.fetchval(f"SELECT count(*) FROM {measure.source}", *window.arguments())
    return Decimal(value)


async def measure_by_area(
    connection: asyncpg.Connection, measure: Measure, window: Window, *, level: str
) -> dict[str, Decimal]:
    table_part, _, condition = measure.source.partition(" WHERE ")
    rows = await connection.fetch(
        f"SELECT {_AREA[level]} AS area, count(*) AS value FROM {table_part} "
        "LEFT JOIN regions r ON r.code = x.region_code LEFT JOIN regions p ON p.code = r.parent_code "
        f"WHERE {condition} GROUP BY area",
        *window.arguments(),
    )
    return {row["area"].strip(): Decimal(row["value"]) for row in rows}


REGION_NAMES = "SELECT code, name FROM regions WHERE code = ANY($1::text[])"
