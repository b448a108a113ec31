"""Whether a window takes a report from a reporter now, and if not, exactly why.

DHIS2 says only "data set is locked"; here the refusal names the reason (not open yet, past its
grace, locked since…, not expected, already accepted, under review). The province can reopen a
locked window for one named reporter, with a reason and an end time: a lock exception that
expires by itself. Instants are the window's (004_9c19d9a85d8c1f73.txt 三(三): due 12月10日) and
the configurable grace and lock (docs/submissions.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shared.programmes import CHINA_STANDARD_TIME, WindowSchedule
from submissions.domain.actors import Actor, Role
from submissions.domain.deadlines import ReporterDeadlines, require_aware
from submissions.domain.errors import Refused, require_text
from submissions.domain.review import ReportState
from submissions.domain.roster import RosterEntry


class RefusalReason(StrEnum):
    window_not_open = "window_not_open"
    past_grace = "past_grace"
    locked = "locked"
    not_expected = "not_expected"
    already_accepted = "already_accepted"
    under_review = "under_review"


@dataclass(frozen=True)
class SubmissionRefusal:
    reason: RefusalReason
    message: str


@dataclass(frozen=True)
class LockException:
    """The province reopened the window for one reporter until ``ends_at`` (exclusive)."""

    designation_id: str
    granted_by: Actor
    reason: str
    starts_at: dt.datetime
    ends_at: dt.datetime

    def active(self, now: dt.datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def reopen_for(
    *, designation_id: str, actor: Actor, at: dt.datetime, ends_at: dt.datetime, reason: str | None
) -> LockException:
    if actor.role is not Role.province:
        raise Refused("forbidden", "only the province reopens a window")
    text = require_text(reason, field="reason", what="reopening a window")
    if require_aware(ends_at, field="ends_at") <= require_aware(at, field="at"):
        raise Refused("invalid_ends_at", "a reopening must end after it starts", field="ends_at")
    return LockException(designation_id, actor, text, at, ends_at)


def submission_refusal(
    *,
    schedule: WindowSchedule,
    entry: RosterEntry | None,
    deadlines: ReporterDeadlines,
    state: ReportState,
    has_submitted: bool,
    now: dt.datetime,
    exceptions: Iterable[LockException] = (),
) -> SubmissionRefusal | None:
    """``None`` when the report may be submitted now; otherwise the first reason that applies."""
    require_aware(now, field="now")
    if now < schedule.opens_at:
        return SubmissionRefusal(
            RefusalReason.window_not_open, f"the window opens at {_china(schedule.opens_at)}"
        )
    if entry is None or not entry.expected_at(now):
        return SubmissionRefusal(RefusalReason.not_expected, _not_expected(entry, schedule))
    if state is ReportState.accepted:
        return SubmissionRefusal(
            RefusalReason.already_accepted, "the province has accepted this report; it is final"
        )
    if state in (ReportState.submitted, ReportState.recommended, ReportState.returned_to_city):
        waiting = "the province" if state is ReportState.recommended else "the city bureau"
        return SubmissionRefusal(
            RefusalReason.under_review, f"the report is {state.value}, waiting for {waiting}"
        )
    if any(e.designation_id == entry.designation_id and e.active(now) for e in exceptions):
        return None
    if now >= deadlines.locks_at:
        return SubmissionRefusal(
            RefusalReason.locked, f"the window locked at {_china(deadlines.locks_at)}"
        )
    if not has_submitted and now >= deadlines.grace_until:
        return SubmissionRefusal(
            RefusalReason.past_grace,
            f"first reports were taken until {_china(deadlines.grace_until)}; ask the province "
            "to reopen the window for this reporter",
        )
    return None


def _not_expected(entry: RosterEntry | None, schedule: WindowSchedule) -> str:
    window = f"{schedule.window_id} {schedule.year}"
    if entry is None:
        return f"this reporter is not on the roster of {window}"
    if entry.expected_until is not None:
        return (
            f"not expected in {window} since {_china(entry.expected_until)} (designation revoked)"
        )
    return f"not expected in {window} before {_china(entry.expected_from)}"


def _china(instant: dt.datetime) -> str:
    return instant.astimezone(CHINA_STANDARD_TIME).strftime("%Y-%m-%d %H:%M:%S +08:00")
