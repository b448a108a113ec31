"""The frozen roster (004_9c19d9a85d8c1f73.txt 三(三) yearly report; 动态管理 revocations)."""

from __future__ import annotations

import datetime as dt

from shared.programmes import WindowSchedule
from submissions.domain.roster import (
    Designation,
    RosterChangeKind,
    add_granted,
    freeze_roster,
    reinstate,
    remove_revoked,
)
from tests.unit.submissions.conftest import cst

PARK = Designation("d-park", "e-park", "park", "520102", dt.date(2024, 3, 1))
TEAM = Designation("d-team", "e-team", "team", "520300", dt.date(2024, 5, 1))
OTHER = Designation(
    "d-x", "e-x", "store", "520102", dt.date(2024, 5, 1)
)  # not a reporting category
CATEGORIES = ("park", "base", "enterprise", "team")


def test_frozen_at_opening_from_the_designations_in_force(schedule: WindowSchedule) -> None:
    roster = freeze_roster(
        schedule, categories=CATEGORIES, designations_in_force=[TEAM, PARK, OTHER]
    )
    assert [e.designation_id for e in roster.entries] == ["d-park", "d-team"]
    park = roster.entry("d-park")
    assert park is not None
    assert (park.city_code, park.county_code) == ("520100", "520102")
    assert (park.due_at, park.expected_from) == (schedule.due_at, schedule.opens_at)
    team = roster.entry("d-team")
    assert team is not None and (team.city_code, team.county_code) == ("520300", None)
    assert [c.kind for c in roster.changes] == [RosterChangeKind.frozen] * 2
    assert roster.expected(schedule.opens_at - dt.timedelta(seconds=1)) == ()


def test_revoked_mid_window_stops_being_expected_from_that_moment(schedule: WindowSchedule) -> None:
    roster = freeze_roster(schedule, categories=CATEGORIES, designations_in_force=[PARK, TEAM])
    revoked_at = cst(2025, 11, 20, 10)
    roster = remove_revoked(roster, "d-park", at=revoked_at, reason="运营不达标")
    assert {e.designation_id for e in roster.expected(revoked_at - dt.timedelta(seconds=1))} == {
        "d-park",
        "d-team",
    }
    assert {e.designation_id for e in roster.expected(revoked_at)} == {"d-team"}
    assert roster.changes[-1].kind is RosterChangeKind.removed
    assert roster.changes[-1].reason == "运营不达标"
    # redelivered revocation: nothing changes, nothing logged twice
    assert remove_revoked(roster, "d-park", at=cst(2025, 11, 21)) == roster
    assert remove_revoked(roster, "unknown", at=cst(2025, 11, 21)) == roster


def test_granted_mid_window_is_added_with_its_own_due_time(schedule: WindowSchedule) -> None:
    roster = freeze_roster(schedule, categories=CATEGORIES, designations_in_force=[PARK])
    late = Designation("d-base", "e-base", "base", "520201", dt.date(2025, 12, 1))
    roster = add_granted(roster, late, at=cst(2025, 12, 1, 15), schedule=schedule)
    entry = roster.entry("d-base")
    assert entry is not None
    # late_designation_due: days_after_grant 30 → end of 31 December, China time
    assert entry.due_at == cst(2026, 1, 1)
    assert entry.expected_from == cst(2025, 12, 1, 15)
    assert roster.changes[-1].kind is RosterChangeKind.added
    assert roster.changes[-1].due_at == cst(2026, 1, 1)
    # granted early in the window: never due before the window's own due time
    early = Designation("d-ent", "e-ent", "enterprise", "520102", dt.date(2025, 11, 2))
    roster = add_granted(roster, early, at=cst(2025, 11, 2, 9), schedule=schedule)
    assert roster.entry("d-ent").due_at == schedule.due_at  # type: ignore[union-attr]
    # redelivery, other categories and grants after the lock change nothing
    assert add_granted(roster, late, at=cst(2025, 12, 2), schedule=schedule) == roster
    assert add_granted(roster, OTHER, at=cst(2025, 12, 2), schedule=schedule) == roster
    after_lock = Designation("d-new", "e-new", "team", "520102", dt.date(2026, 1, 2))
    assert add_granted(roster, after_lock, at=cst(2026, 1, 2), schedule=schedule) == roster


def test_every_change_is_kept_in_order(schedule: WindowSchedule) -> None:
    roster = freeze_roster(schedule, categories=CATEGORIES, designations_in_force=[PARK, TEAM])
    late = Designation("d-base", "e-base", "base", "520201", dt.date(2025, 11, 15))
    roster = add_granted(roster, late, at=cst(2025, 11, 15), schedule=schedule)
    roster = remove_revoked(roster, "d-team", at=cst(2025, 11, 20))
    assert [(c.kind, c.designation_id) for c in roster.changes] == [
        (RosterChangeKind.frozen, "d-park"),
        (RosterChangeKind.frozen, "d-team"),
        (RosterChangeKind.added, "d-base"),
        (RosterChangeKind.removed, "d-team"),
    ]


def test_reinstated_mid_window_is_expected_again_from_that_moment(
    schedule: WindowSchedule,
) -> None:
    roster = freeze_roster(schedule, categories=CATEGORIES, designations_in_force=[PARK, TEAM])
    revoked_at, reinstated_at = cst(2025, 11, 20, 10), cst(2025, 12, 1, 15)
    roster = remove_revoked(roster, "d-park", at=revoked_at, reason="运营不达标")
    again = Designation("d-park", "e-park", "park", "520102", dt.date(2025, 12, 1))
    roster = reinstate(roster, again, at=reinstated_at, schedule=schedule, reason="省级恢复")
    entry = roster.entry("d-park")
    assert entry is not None and entry.expected_until is None
    # like a late grant: 30 days after the reinstatement day, never before the window's due
    assert (entry.expected_from, entry.due_at) == (reinstated_at, cst(2026, 1, 1))
    assert "d-park" not in {e.designation_id for e in roster.expected(cst(2025, 11, 25))}
    assert "d-park" in {e.designation_id for e in roster.expected(reinstated_at)}
    assert [(c.kind, c.designation_id) for c in roster.changes][-2:] == [
        (RosterChangeKind.removed, "d-park"),
        (RosterChangeKind.added, "d-park"),
    ]
    assert roster.changes[-1].reason == "reinstated: 省级恢复"
    assert len(roster.entries) == 2  # one entry per designation: the denominator counts it once
    # redelivered, or a reinstatement at a rectification deadline (never removed): no change
    assert reinstate(roster, again, at=cst(2025, 12, 2), schedule=schedule) == roster
    assert reinstate(roster, TEAM, at=cst(2025, 12, 2), schedule=schedule) == roster
    # after the lock, and outside the reporting categories: no change
    roster = remove_revoked(roster, "d-team", at=cst(2025, 12, 5))
    assert reinstate(roster, TEAM, at=schedule.locks_at, schedule=schedule) == roster
    assert reinstate(roster, OTHER, at=cst(2025, 12, 6), schedule=schedule) == roster


def test_reinstated_after_a_revocation_before_opening_is_added_like_a_late_grant(
    schedule: WindowSchedule,
) -> None:
    roster = freeze_roster(schedule, categories=CATEGORIES, designations_in_force=[TEAM])
    again = Designation("d-park", "e-park", "park", "520102", dt.date(2025, 11, 2))
    roster = reinstate(roster, again, at=cst(2025, 11, 2, 9), schedule=schedule, reason="恢复")
    entry = roster.entry("d-park")
    assert entry is not None and entry.due_at == schedule.due_at
    assert roster.changes[-1].kind is RosterChangeKind.added
