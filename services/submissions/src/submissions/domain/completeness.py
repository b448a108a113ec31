"""Completeness and timeliness of a window: for the province, each city and each county.

The denominator is the roster's reporters expected at ``as_of`` (``roster.py``), and only their
reports are counted, so every count is a subset of ``expected`` and a rate never passes 100 %
(DHIS2's does, because its denominator moves). 004_9c19d9a85d8c1f73.txt 三(三): city bureaus
dispatch the projects of their region, so each bureau gets its own rows and its missing list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from submissions.domain.deadlines import Timeliness, timeliness
from submissions.domain.review import ReportState
from submissions.domain.roster import Roster, RosterEntry

RETURNED = frozenset({ReportState.returned_to_reporter, ReportState.returned_to_city})


class Level(StrEnum):
    province = "province"
    city = "city"
    county = "county"


@dataclass(frozen=True)
class ReportStatus:
    """What completeness needs of one report: its first submission and its state now.

    ``due_at`` is the reporter's own (late designation or extension), when it differs.
    """

    first_submitted_at: dt.datetime | None
    state: ReportState
    due_at: dt.datetime | None = None


@dataclass(frozen=True)
class CompletenessRow:
    level: Level
    region_code: str
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    accepted: int = 0
    returned: int = 0

    def rate(self, count: int) -> Decimal:
        """``count`` over ``expected`` as a percentage, two places; 0 when nobody is expected."""
        if self.expected == 0:
            return Decimal(0)
        return (Decimal(count) * 100 / self.expected).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Completeness:
    as_of: dt.datetime
    province: CompletenessRow
    cities: tuple[CompletenessRow, ...]
    counties: tuple[CompletenessRow, ...]
    missing_by_bureau: Mapping[str, tuple[str, ...]]  # region code -> designation ids


def completeness(
    roster: Roster,
    statuses: Mapping[str, ReportStatus],
    *,
    as_of: dt.datetime,
    province_code: str,
) -> Completeness:
    counts: dict[tuple[Level, str], dict[str, int]] = {}
    missing: dict[str, list[str]] = {}
    for entry in roster.expected(as_of):
        status = statuses.get(entry.designation_id)
        outcome = _outcome(entry, status, as_of)
        for level, code in _levels(entry, province_code):
            row = counts.setdefault((level, code), {})
            row["expected"] = row.get("expected", 0) + 1
            for name in outcome:
                row[name] = row.get(name, 0) + 1
        if "missing" in outcome:
            for _, code in _levels(entry, province_code)[1:]:
                missing.setdefault(code, []).append(entry.designation_id)
    rows = {key: CompletenessRow(key[0], key[1], **values) for key, values in counts.items()}
    return Completeness(
        as_of=as_of,
        province=rows.get(
            (Level.province, province_code), CompletenessRow(Level.province, province_code)
        ),
        cities=_sorted(rows, Level.city),
        counties=_sorted(rows, Level.county),
        missing_by_bureau={code: tuple(sorted(ids)) for code, ids in sorted(missing.items())},
    )


def _outcome(entry: RosterEntry, status: ReportStatus | None, as_of: dt.datetime) -> Iterable[str]:
    first = status.first_submitted_at if status else None
    if status is None or first is None or first > as_of:
        return ("missing",)
    due_at = status.due_at or entry.due_at
    names = ["submitted", "on_time" if timeliness(first, due_at) is Timeliness.on_time else "late"]
    if status.state is ReportState.accepted:
        names.append("accepted")
    if status.state in RETURNED:
        names.append("returned")
    return names


def _levels(entry: RosterEntry, province_code: str) -> list[tuple[Level, str]]:
    levels = [(Level.province, province_code), (Level.city, entry.city_code)]
    if entry.county_code is not None:
        levels.append((Level.county, entry.county_code))
    return levels


def _sorted(
    rows: Mapping[tuple[Level, str], CompletenessRow], level: Level
) -> tuple[CompletenessRow, ...]:
    return tuple(row for (lvl, _), row in sorted(rows.items()) if lvl is level)
