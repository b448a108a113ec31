"""Statistics periods (``2025-01``, ``2025-Q1``, ``2025``): the one before, the same one a year
earlier, and when its figures are due (docs/statistics.md, *Periods and due days*)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from shared.programmes import PeriodDue, StatisticsPeriod
from shared.programmes.reporting import end_of_day, start_of_day

_PATTERNS = {
    StatisticsPeriod.monthly: re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    StatisticsPeriod.quarterly: re.compile(r"^(\d{4})-Q([1-4])$"),
    StatisticsPeriod.yearly: re.compile(r"^(\d{4})$"),
}
PER_YEAR = {
    StatisticsPeriod.monthly: 12,
    StatisticsPeriod.quarterly: 4,
    StatisticsPeriod.yearly: 1,
}


@dataclass(frozen=True, order=True)
class PeriodKey:
    """``index`` counts from 1 within the year (month, quarter; 1 for a year)."""

    kind: StatisticsPeriod
    year: int
    index: int = 1

    def __str__(self) -> str:
        if self.kind is StatisticsPeriod.monthly:
            return f"{self.year}-{self.index:02d}"
        if self.kind is StatisticsPeriod.quarterly:
            return f"{self.year}-Q{self.index}"
        return f"{self.year}"

    def previous(self) -> PeriodKey:
        """The period just before, across a year boundary (2025-01 -> 2024-12)."""
        if self.index > 1:
            return PeriodKey(self.kind, self.year, self.index - 1)
        return PeriodKey(self.kind, self.year - 1, PER_YEAR[self.kind])

    def a_year_earlier(self) -> PeriodKey:
        return PeriodKey(self.kind, self.year - 1, self.index)

    @property
    def last_month(self) -> int:
        return self.index * 12 // PER_YEAR[self.kind]

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.last_month - 12 // PER_YEAR[self.kind] + 1, 1)

    def last_day(self) -> dt.date:
        return _month_start(self.year, self.last_month + 1) - dt.timedelta(days=1)


def parse_period(text: str) -> PeriodKey:
    """``ValueError`` for anything but ``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``."""
    for kind, pattern in _PATTERNS.items():
        match = pattern.match(text)
        if match:
            index = 1 if kind is StatisticsPeriod.yearly else int(match.group(2))
            return PeriodKey(kind, int(match.group(1)), index)
    raise ValueError(f"a period is YYYY-MM, YYYY-Qn or YYYY, got {text!r}")


@dataclass(frozen=True)
class PeriodSchedule:
    """Instants in China time; each is the first instant *after* the allowed time."""

    opens_at: dt.datetime
    due_at: dt.datetime
    grace_until: dt.datetime
    locks_at: dt.datetime


def period_schedule(period: PeriodKey, due: PeriodDue) -> PeriodSchedule:
    """Opens when the period ends; due at the end of ``due_day`` of the ``months_after``-th
    month after it (monthly default: the 10th of the next month)."""
    due_on = _month_start(period.year, period.last_month + due.months_after).replace(
        day=due.due_day
    )
    due_at = end_of_day(due_on)
    grace_until = due_at + dt.timedelta(days=due.grace_days)
    return PeriodSchedule(
        opens_at=period_opens_at(period),
        due_at=due_at,
        grace_until=grace_until,
        locks_at=max(grace_until, due_at + dt.timedelta(days=due.lock_days)),
    )


def period_opens_at(period: PeriodKey) -> dt.datetime:
    """The first instant after the period (its roster is the registrations open then)."""
    return start_of_day(period.last_day() + dt.timedelta(days=1))


def _month_start(year: int, month: int) -> dt.date:
    """The first of ``month`` counted from January of ``year`` (13 is January next year)."""
    return dt.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


# How a refusal names a period kind in Chinese.
PERIOD_NAMES = {"monthly": "月度", "quarterly": "季度", "yearly": "年度"}
