"""Reporting windows: when a yearly report opens, is due, stops taking late reports and locks.

The due day is the document's (004_9c19d9a85d8c1f73.txt 三(三): "于每年12月10日向省商务厅报送").
Everything else here (opening, period covered, grace, lock, reminder offsets, the due time of a
designation granted mid-window) is a configurable default, documented in docs/programmes.md.

Instants are China Standard Time (``shared.china_time.CHINA``). China has kept UTC+8 without
daylight saving since 1991, so a fixed offset is exact. "Due on 10 December" means due at the *end* of that day: the first late
instant is 00:00 CST on 11 December (DOMAIN.md, Time), which is what every ``*_at`` here holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from shared.china_time import CHINA
from shared.programmes.common import Frozen, Slug, SourceRef

OffsetDays = Annotated[int, Field(ge=1, le=366)]

_LEAP_YEAR = 2024  # month-days are checked against a leap year, so 29 February is allowed


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00 China Standard Time on ``day``."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=CHINA)


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in China Standard Time (00:00 CST the next day)."""
    return start_of_day(day + dt.timedelta(days=1))


class MonthDay(Frozen):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def _exists(self) -> Self:
        dt.date(_LEAP_YEAR, self.month, self.day)  # ValueError "day is out of range for month"
        return self

    def in_year(self, year: int) -> dt.date:
        return dt.date(year, self.month, self.day)


class CoveredPeriod(Frozen):
    """The span of the figures, as month-days of the reporting year (both inclusive).

    Default (configurable): 1 January to 31 October, the months complete when the window opens.
    """

    start_month: int = Field(default=1, ge=1, le=12)
    start_day: int = Field(default=1, ge=1, le=31)
    end_month: int = Field(default=10, ge=1, le=12)
    end_day: int = Field(default=31, ge=1, le=31)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        start, end = self.in_year(_LEAP_YEAR)
        if end < start:
            raise ValueError("the covered period ends before it starts")
        return self

    def in_year(self, year: int) -> tuple[dt.date, dt.date]:
        return (
            dt.date(year, self.start_month, self.start_day),
            dt.date(year, self.end_month, self.end_day),
        )


class ReminderOffsets(Frozen):
    """Whole days before and after the due time at which the deadline clock fires.

    Defaults (configurable): 30, 14, 7, 3 and 1 days before; 1, 3 and 7 days after.
    """

    before_days: tuple[OffsetDays, ...] = (30, 14, 7, 3, 1)
    after_days: tuple[OffsetDays, ...] = (1, 3, 7)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        for name, offsets in (("before_days", self.before_days), ("after_days", self.after_days)):
            if len(set(offsets)) != len(offsets):
                raise ValueError(f"{name} repeats an offset")
        return self


class LateDesignationDue(Frozen):
    """When a reporter designated after the window opened must report.

    ``window``: the window's own due time. ``days_after_grant``: the end of the ``days``-th day
    after the grant date (China time), never earlier than the window's due time.
    """

    rule: Literal["window", "days_after_grant"] = "window"
    days: int | None = Field(default=None, ge=1, le=366)

    @model_validator(mode="after")
    def _days_match_rule(self) -> Self:
        if self.rule == "days_after_grant" and self.days is None:
            raise ValueError("rule days_after_grant needs days")
        if self.rule == "window" and self.days is not None:
            raise ValueError("rule window takes no days")
        return self

    def due_at(self, *, granted_on: dt.date, window_due_at: dt.datetime) -> dt.datetime:
        if self.rule == "window" or self.days is None:
            return window_due_at
        return max(window_due_at, end_of_day(granted_on + dt.timedelta(days=self.days)))


class WindowYearOverride(Frozen):
    """One year's exception to the yearly rule (a holiday, a decision of the province)."""

    year: int = Field(ge=2000, le=2100)
    opens_on: dt.date | None = Field(default=None, description="opens at 00:00 CST that day")
    due_on: dt.date | None = Field(default=None, description="due at the end of that day")
    grace_until_on: dt.date | None = Field(default=None, description="end of that day")
    locks_on: dt.date | None = Field(default=None, description="locks at the end of that day")
    note: str | None = None


@dataclass(frozen=True)
class WindowSchedule:
    """One year of a reporting window, as instants (China Standard Time, aware datetimes).

    ``due_at``, ``grace_until`` and ``locks_at`` are the first instants *after* the allowed time:
    received before ``due_at`` is on time; a first report is taken until ``grace_until``;
    nothing is taken from ``locks_at`` on.
    """

    window_id: str
    year: int
    covers_from: dt.date
    covers_to: dt.date
    opens_at: dt.datetime
    due_at: dt.datetime
    grace_until: dt.datetime
    locks_at: dt.datetime
    reminders: ReminderOffsets
    late_designation_due: LateDesignationDue


class ReportingWindow(Frozen):
    """A yearly report due on a fixed day, in China Standard Time (004 三(三)).

    ``first_year`` defaults to the first year of the programme period (filled by the
    programme). ``last_year`` has no default: the report is owed "每年" (004 三(三): 于每年12月10日
    向省商务厅报送) and the projects stay under dynamic management (示范项目实行动态管理) for as long
    as their designations are in force, which the targets' horizon (到2025年, 一) does not end.
    A window without ``last_year`` is *open-ended*; whether a year past the programme period is
    owed depends on the designations in force, which only the services know
    (docs/programmes.md, *Reporting windows*). A programme that wants the report to stop sets
    ``last_year``.
    """

    id: Slug
    name: str = Field(min_length=1)
    frequency: Literal["yearly"] = "yearly"
    due_month: int = Field(ge=1, le=12)
    due_day: int = Field(ge=1, le=31)
    timezone: Literal["Asia/Shanghai"] = "Asia/Shanghai"
    reporters: tuple[str, ...] = Field(min_length=1, description="demonstration category ids")
    recipient: str = Field(min_length=1)
    content: str | None = None
    first_year: int | None = Field(default=None, ge=2000, le=2100)
    last_year: int | None = Field(default=None, ge=2000, le=2100)
    covers: CoveredPeriod = CoveredPeriod()
    opens: MonthDay = MonthDay(month=11, day=1)
    grace_days: int = Field(default=7, ge=0, le=366)
    lock: MonthDay = Field(
        default=MonthDay(month=12, day=31), description="locks at the end of this day"
    )
    reminders: ReminderOffsets = ReminderOffsets()
    late_designation_due: LateDesignationDue = LateDesignationDue()
    overrides: tuple[WindowYearOverride, ...] = ()
    source_ref: SourceRef

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        MonthDay(month=self.due_month, day=self.due_day)
        if self.first_year and self.last_year and self.first_year > self.last_year:
            raise ValueError("first_year is after last_year")
        years = [override.year for override in self.overrides]
        if len(set(years)) != len(years):
            raise ValueError("overrides: a year appears more than once")
        for year in years:
            if not self._in_years(year):
                raise ValueError(f"override year {year} is outside the window's years")
        checked = {*years, _LEAP_YEAR}
        if self.first_year is not None:
            checked.add(self.first_year)
            if self.last_year is not None:
                checked.update(range(self.first_year, self.last_year + 1))
        for year in sorted(checked):
            self._check_order(self._build(year))
        return self

    @property
    def open_ended(self) -> bool:
        """No ``last_year``: the report runs every year from ``first_year`` on."""
        return self.last_year is None

    def years(self, through: int | None = None) -> tuple[int, ...]:
        """The years the window runs, from ``first_year`` to ``last_year``, cut at ``through``
        when given. An open-ended window has no last year: ``through`` is then required."""
        if self.first_year is None:
            raise ValueError(f"reporting window {self.id!r} has no first_year set")
        last = self.last_year
        if through is not None:
            last = through if last is None else min(last, through)
        if last is None:
            raise ValueError(f"reporting window {self.id!r} is open-ended: say through which year")
        return tuple(range(self.first_year, last + 1))

    def runs_in(self, year: int) -> bool:
        """Whether the window has a report in ``year`` at all (from ``first_year``, up to
        ``last_year`` when set). Past the programme period an open-ended window's year is owed
        only while a designation in its categories is in force: the services decide that."""
        return self.first_year is not None and self._in_years(year)

    def schedule(self, year: int) -> WindowSchedule:
        """The window's instants in ``year``; ``KeyError`` for a year it does not run."""
        if not self.runs_in(year):
            raise KeyError(year)
        return self._build(year)

    def due_date(self, year: int) -> dt.date:
        override = self._override(year)
        if override is not None and override.due_on is not None:
            return override.due_on
        return dt.date(year, self.due_month, self.due_day)

    def closes_at(self, year: int) -> dt.datetime:
        """First instant that is late: 00:00 CST on the day after the due date (DOMAIN.md, Time)."""
        return end_of_day(self.due_date(year))

    def _in_years(self, year: int) -> bool:
        low = self.first_year if self.first_year is not None else year
        high = self.last_year if self.last_year is not None else year
        return low <= year <= high

    def _override(self, year: int) -> WindowYearOverride | None:
        return next((o for o in self.overrides if o.year == year), None)

    def _build(self, year: int) -> WindowSchedule:
        override = self._override(year) or WindowYearOverride(year=year)
        due_at = self.closes_at(year)
        grace_until = due_at + dt.timedelta(days=self.grace_days)
        if override.grace_until_on is not None:
            grace_until = end_of_day(override.grace_until_on)
        covers_from, covers_to = self.covers.in_year(year)
        return WindowSchedule(
            window_id=self.id,
            year=year,
            covers_from=covers_from,
            covers_to=covers_to,
            opens_at=start_of_day(override.opens_on or self.opens.in_year(year)),
            due_at=due_at,
            grace_until=grace_until,
            locks_at=end_of_day(override.locks_on or self.lock.in_year(year)),
            reminders=self.reminders,
            late_designation_due=self.late_designation_due,
        )

    @staticmethod
    def _check_order(schedule: WindowSchedule) -> None:
        year = schedule.year
        if schedule.opens_at >= schedule.due_at:
            raise ValueError(f"{year}: the window opens at or after its due time")
        if schedule.grace_until < schedule.due_at:
            raise ValueError(f"{year}: the grace period ends before the due time")
        if schedule.locks_at < schedule.grace_until:
            raise ValueError(f"{year}: the window locks before its grace period ends")
