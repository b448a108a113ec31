"""Which registry data measures which programme metric, and all SQL of target progress.

A metric the registry cannot measure (online retail, workers, growth rates, transaction
volumes: statistics reported through the submissions service) has no entry in ``MEASURES`` and
is reported as not measurable, never as zero; reported statistics are read from
``published_statistics`` (``PUBLISHED_MONTHS``).

Each measure's statements are composed here, when the module loads, from its table and its
condition: with ``$1`` = jurisdiction prefix pattern, ``$2`` = programme id, ``$3``/``$4`` =
the counted period's first and last day; the measured table is aliased ``x``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from registry.domain.statistics import Months
from registry.domain.targets import Window
from shared.china_time import SQL_ZONE
from shared.programmes.common import Metric

# The day a record was registered, in China.
_REGISTERED_DAY = f"(x.created_at AT TIME ZONE '{SQL_ZONE}')::date"
_IN_JURISDICTION = "x.region_code LIKE $1"
# The area a record counts for: its city/prefecture (a county's parent), or, for a city's
# programme, its county; province-direct counties count for themselves.
_AREA = {
    "city": "CASE WHEN r.level = 'county' AND p.level = 'city' THEN p.code "
    "ELSE COALESCE(r.code, x.region_code) END",
    "county": "x.region_code",
}
_WITH_REGIONS = (
    "LEFT JOIN regions r ON r.code = x.region_code LEFT JOIN regions p ON p.code = r.parent_code"
)


@dataclass(frozen=True)
class Measure:
    description: str
    total: str  # the count in the jurisdiction
    by_area: Mapping[str, str]  # the count per area, by breakdown level (city, county)


def _measure(table: str, condition: str, description: str) -> Measure:
    return Measure(
        description,
        total=f"SELECT count(*) FROM {table} x WHERE {condition}",
        by_area={
            level: f"SELECT {area} AS area, count(*) AS value FROM {table} x {_WITH_REGIONS} "
            f"WHERE {condition} GROUP BY area"
            for level, area in _AREA.items()
        },
    )


def _designated(*categories: str) -> Measure:
    """The designations of this programme in force at the end of the counted period ($4), from
    the history of designation events: per entity and category the last event on or before
    that day decides. On one day a grant comes first (a revocation of the same day wins, as for
    the current status); a revocation and a reinstatement of one day keep the order they
    arrived in (a reinstatement follows its revocation on the designation's key)."""
    listed = ", ".join(f"'{c}'" for c in categories)
    in_force = (
        "(SELECT DISTINCT ON (e.entity_type, e.entity_id, e.category) e.region_code, e.kind "
        "FROM demonstration_events e "
        f"WHERE e.programme_id = $2 AND e.category IN ({listed}) AND e.day <= $4 "
        "ORDER BY e.entity_type, e.entity_id, e.category, e.day DESC, (e.kind = 'granted'), "
        "e.id DESC)"
    )
    return _measure(
        in_force,
        f"{_IN_JURISDICTION} AND x.kind <> 'revoked' AND $3::date IS NOT NULL",
        f"demonstration projects of categories {', '.join(categories)} in this programme "
        "designated and in force at the end of the counted period",
    )


def _active(table: str, condition: str = "true", what: str = "") -> Measure:
    return _measure(
        table,
        f"{_IN_JURISDICTION} AND x.status = 'active' AND ({condition}) "
        f"AND $2::text IS NOT NULL AND $3::date IS NOT NULL AND {_REGISTERED_DAY} <= $4",
        what or f"active {table}",
    )


def _new(table: str, day: str, what: str) -> Measure:
    return _measure(
        table, f"{_IN_JURISDICTION} AND $2::text IS NOT NULL AND {day} BETWEEN $3 AND $4", what
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
    # 新增: established in the period (成立日期), not typed in during it; a record without the
    # date is not counted as new (a bulk import of old enterprises is not growth).
    Metric.new_enterprises: _new(
        "enterprises",
        "x.established_on",
        "enterprises established in the period (成立日期; one without the date is not new)",
    ),
    Metric.new_stores_per_year: _new(
        "stores",
        f"COALESCE(x.opened_on, {_REGISTERED_DAY})",
        "stores opened in the year (registration date when the opening date is unknown)",
    ),
}

REGION_NAMES = "SELECT code, name FROM regions WHERE code = ANY($1::text[])"
# Regional monthly sums of one indicator per region and month within the dates.
PUBLISHED_MONTHS = """
SELECT region_code, period_start, value
FROM published_statistics
WHERE programme_id = $1 AND indicator = $2 AND period_kind = 'monthly' AND basis = 'regional'
  AND period_start BETWEEN $3 AND $4 AND value IS NOT NULL
"""


async def count_total(connection: asyncpg.Connection, measure: Measure, window: Window) -> Decimal:
    value = await connection.fetchval(measure.total, *window.arguments())
    return Decimal(value)


async def count_by_area(
    connection: asyncpg.Connection, measure: Measure, window: Window, *, level: str
) -> dict[str, Decimal]:
    rows = await connection.fetch(measure.by_area[level], *window.arguments())
    return {row["area"].strip(): Decimal(row["value"]) for row in rows}


async def region_names(connection: asyncpg.Connection, codes: list[str]) -> dict[str, str]:
    return {row["code"]: row["name"] for row in await connection.fetch(REGION_NAMES, codes)}


async def published_months(
    connection: asyncpg.Connection, programme_id: str, indicator: str, year: int, today: dt.date
) -> Months:
    """The year's published months of ``indicator`` up to ``today``, by region."""
    found: Months = {}
    last = min(dt.date(year, 12, 31), today)
    rows = await connection.fetch(
        PUBLISHED_MONTHS, programme_id, indicator, dt.date(year, 1, 1), last
    )
    for row in rows:
        found.setdefault(row["region_code"], {})[row["period_start"]] = row["value"]
    return found
