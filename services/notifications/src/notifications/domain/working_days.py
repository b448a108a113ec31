"""Working days (docs/notifications.md, "Working days"): a pre-due reminder that falls on a
non-working day is sent at 09:00 China time on the working day before; points at or after the
due time never move. The calendar and the move itself are ``shared.working_days``'s (the
submissions deadline clock plans its points with them too); this module only says which
reminders move. By the time an event arrives here its point is usually on a working day
already, and this is a no-op."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from shared.working_days import is_working_day, working_day_before

__all__ = ["reminder_time"]


def reminder_time(
    point_at: dt.datetime,
    due_at: dt.datetime,
    *,
    shift: bool,
    working: Callable[[dt.date], bool] = is_working_day,
) -> dt.datetime:
    if not shift or point_at >= due_at:
        return point_at
    return working_day_before(point_at, working=working)
