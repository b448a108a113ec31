"""Share met and met/not met, as the documents compare (no I/O)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from registry.domain.targets import (
    breakdown_level,
    every_area_progress,
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
