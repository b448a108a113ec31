"""The statistics deadline clock's plan, without I/O: every open period has its reminders,
the due time and the points after it; after downtime only the latest is sent, late; points
before a period opens are dropped; the clock stops after the last lock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from shared.programmes import (
    CHINA_STANDARD_TIME,
    Programme,
    ReminderOffsets,
    StatisticsPeriod,
    load_programme,
)
from shared.working_days import WorkingDayCalendar, YearCalendar
from submissions.domain.clock import PointOutcome
from submissions.domain.statistics.clock import period_points, plan
from submissions.domain.statistics.periods import PeriodKey, period_schedule

ROOT = Path(__file__).resolve().parents[3]


def cst(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=CHINA_STANDARD_TIME)  # type: ignore[misc]


@pytest.fixture(scope="module")
def qinghai() -> Programme:
    return load_programme(ROOT / "shared/programmes/qinghai-2024-2026.yaml")


def _all_done(programme: Programme, *periods: str) -> dict[str, dict[str, PointOutcome]]:
    statistics = programme.statistics
    assert statistics is not None
    done = {}
    for text in periods:
        kind = (
            StatisticsPeriod.monthly
            if len(text) == 7 and "Q" not in text
            else StatisticsPeriod.quarterly
            if "Q" in text
            else StatisticsPeriod.yearly
        )
        year, _, index = text.partition("-")
        key = PeriodKey(kind, int(year), int(index.strip("Q") or 1))
        schedule = period_schedule(key, statistics.schedule.for_period(kind))
        done[text] = {
            p.key: PointOutcome.emitted for p in period_points(programme, statistics, schedule)
        }
    return done


def test_an_open_month_gets_its_reminder_and_the_clock_wakes_for_the_next(
    qinghai: Programme,
) -> None:
    statistics = qinghai.statistics
    assert statistics is not None
    done = _all_done(qinghai, "2024-12", "2024-Q4", "2024")
    result = plan(qinghai, statistics, now=cst(2025, 2, 8, 0, 1), done=done)
    by_period = {str(s.period): s for s in result.steps}
    assert set(by_period) == {"2025-01", "2024-12", "2024-Q4", "2024"}  # open, not locked
    january = by_period["2025-01"]
    assert january.schedule.due_at == cst(2025, 2, 11)  # the end of the 10th
    assert january.step.emit is not None and january.step.emit.key == "before-3d"
    assert january.step.late is False
    assert all(s.step.emit is None for p, s in by_period.items() if p != "2025-01")
    # Next: December 2024 locks on 10 February, January's 1-day reminder at the same time.
    assert result.wake_at == cst(2025, 2, 10)


def test_after_downtime_only_the_latest_missed_point_is_sent_late(qinghai: Programme) -> None:
    statistics = qinghai.statistics
    assert statistics is not None
    done = _all_done(qinghai, "2024-12", "2024-Q4", "2024")
    result = plan(qinghai, statistics, now=cst(2025, 2, 13, 9), done=done)
    january = next(s for s in result.steps if str(s.period) == "2025-01")
    assert january.step.emit is not None and january.step.emit.key == "after-1d"
    assert january.step.late is True
    assert [p.key for p in january.step.skip] == ["before-3d", "before-1d", "due"]


def test_points_before_a_period_opens_are_dropped(qinghai: Programme) -> None:
    statistics = qinghai.statistics
    assert statistics is not None
    longer = statistics.model_copy(
        update={
            "schedule": statistics.schedule.model_copy(
                update={"reminders": ReminderOffsets(before_days=(30, 1), after_days=())}
            )
        }
    )
    schedule = period_schedule(
        PeriodKey(StatisticsPeriod.monthly, 2025, 1), statistics.schedule.monthly
    )
    assert [p.key for p in period_points(qinghai, longer, schedule)] == ["before-1d", "due"]


def test_the_clock_stops_after_the_last_lock(qinghai: Programme) -> None:
    statistics = qinghai.statistics
    assert statistics is not None
    result = plan(qinghai, statistics, now=cst(2030, 1, 1), done={})
    assert result.steps == () and result.wake_at is None
    # Before the base year's first period opens, it waits for that opening.
    early = plan(qinghai, statistics, now=cst(2023, 1, 15), done={})
    assert early.steps == () and early.wake_at == cst(2023, 2, 1)


def test_a_reminder_on_a_day_off_moves_to_the_working_day_before(qinghai: Programme) -> None:
    statistics = qinghai.statistics
    assert statistics is not None
    # April 2025 is due at the end of Saturday 10 May: its 1-day reminder would fall on that
    # Saturday (00:00), so it fires at 09:00 on Friday 9 May.
    schedule = period_schedule(
        PeriodKey(StatisticsPeriod.monthly, 2025, 4), statistics.schedule.monthly
    )
    points = {p.key: p.at for p in period_points(qinghai, statistics, schedule)}
    assert points["before-1d"] == cst(2025, 5, 9, 9)
    assert points["before-3d"] == cst(2025, 5, 8) and points["due"] == cst(2025, 5, 11)


def test_qinghai_december_2026_reminders_wait_for_the_2027_calendar(qinghai: Programme) -> None:
    """December 2026's figures are due at the end of Sunday 10 January 2027, a year the
    chinesecalendar library does not know. Without a loaded 2027 the reminders keep their
    unshifted times and name the missing year; once the province loads 2027, the 1-day
    reminder moves off the weekend to Friday 8 January, 09:00 (docs/calendar.md)."""
    statistics = qinghai.statistics
    assert statistics is not None
    schedule = period_schedule(
        PeriodKey(StatisticsPeriod.monthly, 2026, 12), statistics.schedule.monthly
    )
    unshifted = {p.key: p for p in period_points(qinghai, statistics, schedule)}
    assert unshifted["before-1d"].at == cst(2027, 1, 10)
    assert unshifted["before-1d"].calendar_missing == 2027
    assert unshifted["before-3d"].calendar_missing == 2027  # a Friday, but nobody knows yet
    assert unshifted["due"].calendar_missing is None  # the due time never moves
    loaded = WorkingDayCalendar.with_years(
        [YearCalendar(year=2027, holidays=frozenset({dt.date(2027, 1, 1)}))]
    )
    shifted = {p.key: p for p in period_points(qinghai, statistics, schedule, loaded)}
    assert shifted["before-1d"].at == cst(2027, 1, 8, 9)
    assert shifted["before-3d"].at == cst(2027, 1, 8)
    assert all(p.calendar_missing is None for p in shifted.values())
