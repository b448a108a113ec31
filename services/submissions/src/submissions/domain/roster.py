"""The frozen roster: who must report in a window, fixed when it opens, every change kept.

004_9c19d9a85d8c1f73.txt 三(三): every demonstration park, base, enterprise and team reports
yearly, and designations are managed dynamically (动态管理, revoked when operation falls below
standard). So the expected reporters are the designations in force when the window opens; a
designation revoked later stops being expected from that moment; one granted later is added with
its own due time (the programme file's ``late_designation_due``); one the province reinstates
after a revocation is expected again from that moment, like a late grant. Each change is an entry in
``changes``, so a bureau's denominator is stable and can be explained line by line (DHIS2's
moving denominator is what lets its completeness pass 100 %).

A reporter is a designation (one operator may hold two, e.g. an enterprise and its team, and
reports once per category).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shared.programmes import WindowSchedule
from submissions.domain.deadlines import require_aware


def city_code_of(region_code: str) -> str:
    """GB/T 2260: a county's city is its first four digits then ``00``."""
    return region_code[:4] + "00"


def county_code_of(region_code: str) -> str | None:
    """The county, or ``None`` for a reporter registered at city level (code ending ``00``)."""
    return None if region_code.endswith("00") else region_code


@dataclass(frozen=True)
class Designation:
    """A designation in force, as ``awards.designation.granted`` carries it."""

    designation_id: str
    entity_id: str
    category: str
    region_code: str
    granted_on: dt.date


class RosterChangeKind(StrEnum):
    frozen = "frozen"  # on the roster when the window opened
    added = "added"  # designated (or reinstated, see the reason) after the window opened
    removed = "removed"  # designation revoked while the window ran


@dataclass(frozen=True)
class RosterChange:
    kind: RosterChangeKind
    designation_id: str
    at: dt.datetime
    due_at: dt.datetime | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RosterEntry:
    designation_id: str
    entity_id: str
    category: str
    city_code: str
    county_code: str | None
    due_at: dt.datetime
    expected_from: dt.datetime
    expected_until: dt.datetime | None = None

    def expected_at(self, at: dt.datetime) -> bool:
        return self.expected_from <= at and (
            self.expected_until is None or at < self.expected_until
        )


@dataclass(frozen=True)
class Roster:
    window_id: str
    year: int
    frozen_at: dt.datetime
    locks_at: dt.datetime
    categories: frozenset[str]
    entries: tuple[RosterEntry, ...]
    changes: tuple[RosterChange, ...]

    def entry(self, designation_id: str) -> RosterEntry | None:
        return next((e for e in self.entries if e.designation_id == designation_id), None)

    def expected(self, at: dt.datetime) -> tuple[RosterEntry, ...]:
        return tuple(entry for entry in self.entries if entry.expected_at(at))


def freeze_roster(
    schedule: WindowSchedule,
    *,
    categories: Iterable[str],
    designations_in_force: Iterable[Designation],
) -> Roster:
    """The roster at the window's opening: every designation in force in a reporting category."""
    reporting = frozenset(categories)
    entries = tuple(
        _entry(d, due_at=schedule.due_at, expected_from=schedule.opens_at)
        for d in sorted(designations_in_force, key=lambda d: d.designation_id)
        if d.category in reporting
    )
    changes = tuple(
        RosterChange(RosterChangeKind.frozen, e.designation_id, schedule.opens_at, e.due_at)
        for e in entries
    )
    return Roster(
        schedule.window_id,
        schedule.year,
        schedule.opens_at,
        schedule.locks_at,
        reporting,
        entries,
        changes,
    )


def add_granted(
    roster: Roster, designation: Designation, *, at: dt.datetime, schedule: WindowSchedule
) -> Roster:
    """A designation granted while the window runs; unchanged if not reporting, known or locked."""
    require_aware(at, field="at")
    known = roster.entry(designation.designation_id) is not None
    if designation.category not in roster.categories or known or at >= roster.locks_at:
        return roster
    due_at = schedule.late_designation_due.due_at(
        granted_on=designation.granted_on, window_due_at=schedule.due_at
    )
    entry = _entry(designation, due_at=due_at, expected_from=max(at, roster.frozen_at))
    change = RosterChange(
        RosterChangeKind.added, designation.designation_id, entry.expected_from, due_at
    )
    return dataclasses.replace(
        roster, entries=(*roster.entries, entry), changes=(*roster.changes, change)
    )


def remove_revoked(
    roster: Roster, designation_id: str, *, at: dt.datetime, reason: str | None = None
) -> Roster:
    """Not expected from ``at`` on; a second revocation of the same designation changes nothing."""
    require_aware(at, field="at")
    entry = roster.entry(designation_id)
    if entry is None or entry.expected_until is not None:
        return roster
    until = max(at, entry.expected_from)
    entries = tuple(
        dataclasses.replace(e, expected_until=until) if e.designation_id == designation_id else e
        for e in roster.entries
    )
    change = RosterChange(RosterChangeKind.removed, designation_id, until, reason=reason)
    return dataclasses.replace(roster, entries=entries, changes=(*roster.changes, change))


def reinstate(
    roster: Roster,
    designation: Designation,
    *,
    at: dt.datetime,
    schedule: WindowSchedule,
    reason: str | None = None,
) -> Roster:
    """A revoked designation reinstated while the window runs: expected again from ``at`` with
    a late grant's due time (``granted_on`` = the reinstatement day), kept as an ``added``
    change whose reason says so. Its entry is replaced, not doubled, so it counts once in the
    denominator. Unchanged when still expected (a redelivery, or a reinstatement at a
    rectification deadline: never removed), not reporting, or locked."""
    require_aware(at, field="at")
    known = roster.entry(designation.designation_id)
    still_expected = known is not None and known.expected_until is None
    if designation.category not in roster.categories or still_expected or at >= roster.locks_at:
        return roster
    due_at = schedule.late_designation_due.due_at(
        granted_on=designation.granted_on, window_due_at=schedule.due_at
    )
    entry = _entry(designation, due_at=due_at, expected_from=max(at, roster.frozen_at))
    entries = tuple(e for e in roster.entries if e.designation_id != designation.designation_id)
    change = RosterChange(
        RosterChangeKind.added,
        designation.designation_id,
        entry.expected_from,
        due_at,
        reason=f"reinstated: {reason}" if reason else "reinstated",
    )
    return dataclasses.replace(roster, entries=(*entries, entry), changes=(*roster.changes, change))


def _entry(
    designation: Designation, *, due_at: dt.datetime, expected_from: dt.datetime
) -> RosterEntry:
    return RosterEntry(
        designation_id=designation.designation_id,
        entity_id=designation.entity_id,
        category=designation.category,
        city_code=city_code_of(designation.region_code),
        county_code=county_code_of(designation.region_code),
        due_at=due_at,
        expected_from=expected_from,
    )
