"""On time or late, and each reporter's own due, grace and lock instants.

Rule: 004_9c19d9a85d8c1f73.txt 三(三) "于每年12月10日向省商务厅报送": due at the end of 10 December
China time, so a report received at 23:59:59+08:00 (15:59:59Z) is on time and one at
00:00:00+08:00 on 11 December (16:00:00Z) is late. Whether a report is on time is decided by its
*first* submission; a later correction never changes it (docs/submissions.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shared.programmes import WindowSchedule


class Timeliness(StrEnum):
    on_time = "on_time"
    late = "late"


def require_aware(instant: dt.datetime, *, field: str) -> dt.datetime:
    """Naive datetimes are ambiguous across the +08:00 boundary; refuse them."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{field} must carry a UTC offset, got naive {instant.isoformat()}")
    return instant


def timeliness(received_at: dt.datetime, due_at: dt.datetime) -> Timeliness:
    """``due_at`` is the first late instant (the end of the due day); compared as instants."""
    require_aware(received_at, field="received_at")
    require_aware(due_at, field="due_at")
    return Timeliness.on_time if received_at < due_at else Timeliness.late


def first_submission_timeliness(
    submitted_at: Iterable[dt.datetime], due_at: dt.datetime
) -> Timeliness | None:
    """Decided by the earliest submission; ``None`` while nothing has been submitted."""
    instants = [require_aware(at, field="submitted_at") for at in submitted_at]
    return timeliness(min(instants), due_at) if instants else None


@dataclass(frozen=True)
class ReporterDeadlines:
    """One reporter's instants (each the first instant *after* the allowed time)."""

    due_at: dt.datetime
    grace_until: dt.datetime
    locks_at: dt.datetime


def reporter_deadlines(schedule: WindowSchedule, *, due_at: dt.datetime) -> ReporterDeadlines:
    """A reporter's own due time (late designation, extension) carries the window's grace
    length with it, and the lock never comes before that grace ends (configurable defaults,
    docs/submissions.md)."""
    due_at = max(due_at, schedule.due_at)
    grace_until = max(schedule.grace_until, due_at + (schedule.grace_until - schedule.due_at))
    return ReporterDeadlines(
        due_at=due_at, grace_until=grace_until, locks_at=max(schedule.locks_at, grace_until)
    )
