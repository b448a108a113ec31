"""Completeness per window with a stable denominator (never above 100 %), per bureau."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from shared.programmes import WindowSchedule
from submissions.domain.completeness import Level, ReportStatus, completeness
from submissions.domain.review import ReportState
from submissions.domain.roster import Designation, add_granted, freeze_roster, remove_revoked
from tests.unit.submissions.conftest import cst

GRANTED = dt.date(2024, 3, 1)
DESIGNATIONS = [
    Designation("d-1", "e-1", "park", "520102", GRANTED),  # 贵阳 南明区
    Designation("d-2", "e-2", "base", "520103", GRANTED),  # 贵阳 云岩区
    Designation("d-3", "e-3", "enterprise", "520102", GRANTED),
    Designation("d-4", "e-4", "team", "520300", GRANTED),  # 遵义, city level
]
CATEGORIES = ("park", "base", "enterprise", "team")


def _roster(schedule: WindowSchedule):  # type: ignore[no-untyped-def]
    return freeze_roster(schedule, categories=CATEGORIES, designations_in_force=DESIGNATIONS)


STATUSES = {
    "d-1": ReportStatus(cst(2025, 12, 10, 23, 59, 59), ReportState.accepted),
    "d-2": ReportStatus(cst(2025, 12, 11), ReportState.returned_to_reporter),
    "d-4": ReportStatus(cst(2025, 12, 1), ReportState.submitted),
}


def test_counts_for_province_cities_and_counties(schedule: WindowSchedule) -> None:
    result = completeness(
        _roster(schedule), STATUSES, as_of=cst(2025, 12, 20), province_code="520000"
    )
    province = result.province
    assert (province.expected, province.submitted, province.on_time, province.late) == (4, 3, 2, 1)
    assert (province.missing, province.accepted, province.returned) == (1, 1, 1)
    assert province.rate(province.submitted) == Decimal("75.00")
    cities = {row.region_code: row for row in result.cities}
    assert (cities["520100"].expected, cities["520100"].missing) == (3, 1)
    assert (cities["520300"].expected, cities["520300"].on_time) == (1, 1)
    counties = {row.region_code: row for row in result.counties}
    assert set(counties) == {"520102", "520103"}
    assert all(row.level is Level.county for row in result.counties)
    assert (counties["520102"].expected, counties["520102"].missing) == (2, 1)
    assert result.missing_by_bureau == {"520100": ("d-3",), "520102": ("d-3",)}


def test_a_report_after_as_of_is_still_missing_then(schedule: WindowSchedule) -> None:
    result = completeness(
        _roster(schedule), STATUSES, as_of=cst(2025, 12, 5), province_code="520000"
    )
    assert (result.province.submitted, result.province.missing) == (1, 3)


def test_the_denominator_when_designations_come_and_go_mid_window(schedule: WindowSchedule) -> None:
    roster = _roster(schedule)
    roster = remove_revoked(roster, "d-1", at=cst(2025, 12, 15))  # had reported on time
    roster = add_granted(
        roster,
        Designation("d-5", "e-5", "park", "520102", dt.date(2025, 12, 1)),
        at=cst(2025, 12, 1),
        schedule=schedule,
    )
    statuses = {
        **STATUSES,
        # designated 1 December: due at the end of 31 December (30 days after the grant)
        "d-5": ReportStatus(
            cst(2025, 12, 30), ReportState.submitted, due_at=roster.entry("d-5").due_at
        ),  # type: ignore[union-attr]
    }
    before = completeness(roster, statuses, as_of=cst(2025, 12, 14), province_code="520000")
    assert (before.province.expected, before.province.submitted) == (5, 3)
    after = completeness(roster, statuses, as_of=cst(2025, 12, 31), province_code="520000")
    # d-1 revoked: out of both numerator and denominator; d-5 in, on time by its own due time
    assert (after.province.expected, after.province.submitted, after.province.on_time) == (4, 3, 2)
    for row in (after.province, *after.cities, *after.counties):
        assert row.submitted <= row.expected
        assert row.rate(row.submitted) <= 100


def test_nobody_expected_is_zero_not_an_error(schedule: WindowSchedule) -> None:
    empty = freeze_roster(schedule, categories=CATEGORIES, designations_in_force=[])
    result = completeness(empty, {}, as_of=cst(2025, 12, 1), province_code="520000")
    assert result.province.expected == 0 and result.province.rate(0) == 0
    assert result.cities == () and result.missing_by_bureau == {}
