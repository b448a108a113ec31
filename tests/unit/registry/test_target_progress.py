"""Share met and met/not met, as the documents compare (no I/O)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from registry.data.regions import load_shipped_regions
from registry.domain.regions import RegionTree
from registry.domain.targets import (
    Horizon,
    breakdown_level,
    counted_period,
    coverage_progress,
    covered_areas,
    every_area_progress,
    horizon_of,
    jurisdiction_prefix,
    progress_of,
)
from shared.programmes import load_programmes

PROGRAMMES = load_programmes(Path(__file__).resolve().parents[3] / "shared" / "programmes")
GUIZHOU = next(p for p in PROGRAMMES.values() if p.jurisdiction == "520000")
QINGHAI = next(p for p in PROGRAMMES.values() if p.jurisdiction == "630000")
QINGDAO = next(p for p in PROGRAMMES.values() if p.jurisdiction == "370200")


def test_ten_designated_parks_meet_the_guizhou_target_of_ten_or_more() -> None:
    """004 一: 培育打造省级电商产业园区10个以上 (at least 10)."""
    parks = next(t for t in GUIZHOU.targets if t.metric.value == "designated_parks")
    assert progress_of(parks, Decimal(9)).met is False
    assert progress_of(parks, Decimal(9)).share_met == Decimal("0.9000")
    assert progress_of(parks, Decimal(10)).met is True
    assert progress_of(parks, Decimal(10)).share_met == Decimal("1.0000")


def test_more_than_needs_more_than_the_value() -> None:
    """000: 网店数量突破8万家 (more than 80,000 stores)."""
    stores = next(t for t in QINGHAI.targets if t.metric.value == "stores_total")
    assert stores.comparison.value == "more_than"
    assert progress_of(stores, stores.value).met is False
    assert progress_of(stores, stores.value + 1).met is True


def test_shares_round_down_so_a_target_is_never_shown_met_early() -> None:
    parks = next(t for t in GUIZHOU.targets if t.metric.value == "designated_parks")
    assert progress_of(parks, Decimal("9.99999")).share_met == Decimal("0.9999")


def test_an_unmeasurable_target_says_why_and_has_no_value() -> None:
    retail = next(t for t in GUIZHOU.targets if t.metric.value == "online_retail_sales")
    item = progress_of(retail, None, reason="reported statistics, not registry data")
    assert (item.measurable, item.current, item.met) == (False, None, None)
    assert item.reason


def test_provinces_break_down_by_city_and_cities_by_county() -> None:
    assert breakdown_level(GUIZHOU) == "city" and breakdown_level(QINGDAO) == "county"
    assert jurisdiction_prefix("520000") == "52"
    assert jurisdiction_prefix("370200") == "3702"


def test_a_per_city_target_is_met_only_when_every_city_meets_it() -> None:
    """000 二（一）4: 每个市州至少转型提升一个电子商务园区（基地） (each city at least one)."""
    parks = next(t for t in QINGHAI.targets if t.id == "parks-and-bases-per-city")
    cities = ["630100", "630200", "632200", "632300"]
    each, overall = every_area_progress(
        parks, {"630100": Decimal(3), "630200": Decimal(1)}, cities, Decimal(4)
    )
    assert each["632200"].current == 0 and each["632200"].met is False
    assert each["630100"].met is True
    assert overall.met is False and overall.share_met == Decimal("0.5000")
    assert overall.current == Decimal(4)
    values = {code: Decimal(1) for code in cities}
    assert every_area_progress(parks, values, cities, Decimal(4))[1].met is True


def test_the_horizon_is_the_period_end_and_a_later_year_is_measured_at_it() -> None:
    """004 一: 到2025年. Asked for 2026, Guizhou's targets are measured as they stood at
    2025-12-31 and the answer says the horizon passed."""
    december_2026 = dt.date(2026, 12, 6)
    later = horizon_of(GUIZHOU, 2026, december_2026)
    assert later == Horizon(dt.date(2025, 12, 31), True, 2025, dt.date(2025, 12, 31))
    assert horizon_of(GUIZHOU, 2025, december_2026).passed is False
    assert horizon_of(QINGHAI, 2026, december_2026).last_day == december_2026
    assert horizon_of(GUIZHOU, 2024, dt.date(2024, 6, 30)).last_day == dt.date(2024, 6, 30)


def test_a_past_year_counts_to_its_own_end() -> None:
    parks = next(t for t in GUIZHOU.targets if t.metric.value == "designated_parks")
    today = dt.date(2026, 12, 6)
    assert counted_period(parks, GUIZHOU, 2024, today) == (
        GUIZHOU.period.start,
        dt.date(2024, 12, 31),
    )
    assert counted_period(parks, GUIZHOU, 2025, today) == (
        GUIZHOU.period.start,
        dt.date(2025, 12, 31),
    )
    stores = next(t for t in QINGHAI.targets if t.per_year)
    assert counted_period(stores, QINGHAI, 2025, today) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )
    assert counted_period(stores, QINGHAI, 2026, today) == (dt.date(2026, 1, 1), today)


def test_all_41_counties_built_needs_a_centre_in_every_county() -> None:
    """000 二(五)17: 全省41个县全部建成物流仓储分拨配送中心."""
    centres = QINGHAI.target("county-logistics-centres")
    assert centres.coverage is not None and centres.value == 41
    tree = RegionTree(load_shipped_regions())
    every, covered = covered_areas(centres, {"630121": Decimal(41)}, tree, "630000")
    assert len(every) == 41 and covered == {"630121"}
    crowded = coverage_progress(centres, every, covered)
    assert (crowded.current, crowded.met) == (Decimal(1), False)
    counts = {code: Decimal(1) for code in every}
    # 玉树县 (632721) was replaced by 玉树市 (632701): a record under the old code counts for it
    counts = {**{k: v for k, v in counts.items() if k != "632701"}, "632721": Decimal(1)}
    counts["630102"] = Decimal(3)  # 城东区: a Xining urban district, not one of the 41
    every, covered = covered_areas(centres, counts, tree, "630000")
    built = coverage_progress(centres, every, covered)
    assert (built.current, built.share_met, built.met) == (Decimal(41), Decimal("1.0000"), True)
