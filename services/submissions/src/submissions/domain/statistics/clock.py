"""The statistics deadline clock's plan (docs/statistics.md, *Reminders*): one clock per
programme watches every period whose window is open (from the period's end until its lock),
with the same points and recovery as the annual report's clock (``domain.clock``): reminders
before the due time, the due time, after it; after downtime only the latest missed point is
sent (late), the others recorded as skipped; a reminder on a day off moves to the working day
before. Points before a period opens are dropped.
Pure: the caller keeps what was done and does the I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from shared.programmes import Programme, Statistics
from shared.working_days import WorkingDayCalendar
from submissions.domain.clock import ClockPoint, ClockStep, PointOutcome, clock_points, next_step
from submissions.domain.statistics.periods import (
    PER_YEAR,
    PeriodKey,
    PeriodSchedule,
    period_schedule,
)


@dataclass(frozen=True)
class PeriodStep:
    period: PeriodKey
    schedule: PeriodSchedule
    step: ClockStep


@dataclass(frozen=True)
class StatisticsClockPlan:
    steps: tuple[PeriodStep, ...]  # the open periods, each with what to do now
    wake_at: dt.datetime | None  # None: every period of the programme has locked


def programme_periods(programme: Programme, statistics: Statistics) -> Iterator[PeriodKey]:
    """Every period the programme collects, its base year included (figures are taken for it)."""
    kinds = {indicator.period for indicator in statistics.indicators}
    for year in range(programme.period.start.year - 1, programme.period.end.year + 1):
        for kind in sorted(kinds):
            for index in range(1, PER_YEAR[kind] + 1):
                yield PeriodKey(kind, year, index)


def period_points(
    programme: Programme,
    statistics: Statistics,
    schedule: PeriodSchedule,
    calendar: WorkingDayCalendar | None = None,
) -> tuple[ClockPoint, ...]:
    """A reminder on a day off moves to the working day before, as the annual report's do
    (``notifications.shift_reminders_to_working_day``); one in a year without a calendar
    keeps its time (``domain.clock``)."""
    points = clock_points(
        schedule.due_at,
        statistics.schedule.reminders,
        shift_to_working_day=programme.notifications.shift_reminders_to_working_day,
        calendar=calendar,
    )
    return tuple(point for point in points if point.at >= schedule.opens_at)


def plan(
    programme: Programme,
    statistics: Statistics,
    *,
    now: dt.datetime,
    done: Mapping[str, Mapping[str, PointOutcome]],
    calendar: WorkingDayCalendar | None = None,
) -> StatisticsClockPlan:
    """``done``: period → point key → outcome, as recorded; ``calendar``: the process's
    working-day calendar (without one, the library's years only)."""
    steps: list[PeriodStep] = []
    wakes: list[dt.datetime] = []
    for period in programme_periods(programme, statistics):
        schedule = period_schedule(period, statistics.schedule.for_period(period.kind))
        if now >= schedule.locks_at:
            continue
        if now < schedule.opens_at:
            wakes.append(schedule.opens_at)
            continue
        step = next_step(
            period_points(programme, statistics, schedule, calendar),
            now=now,
            done=done.get(str(period), {}),
        )
        steps.append(PeriodStep(period, schedule, step))
        wakes += [at for at in (step.wake_at, schedule.locks_at) if at is not None]
    return StatisticsClockPlan(tuple(steps), min(wakes) if wakes else None)
