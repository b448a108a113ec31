"""The deadline clock's schedule (pure part): points, the next one to emit, recovery, changes."""

from __future__ import annotations

import datetime as dt

from shared.programmes import ReminderOffsets, WindowSchedule
from shared.working_days import WorkingDayCalendar, YearCalendar
from submissions.domain.clock import (
    ClockPoint,
    PointKind,
    PointOutcome,
    clock_points,
    emitted_details,
    next_step,
)
from tests.unit.submissions.conftest import cst

EMITTED, SKIPPED = PointOutcome.emitted, PointOutcome.skipped


def _points(schedule: WindowSchedule) -> tuple[ClockPoint, ...]:
    return clock_points(schedule.due_at, schedule.reminders)


def test_points_for_the_guizhou_window(schedule: WindowSchedule) -> None:
    points = _points(schedule)
    assert [p.key for p in points] == [
        "before-30d", "before-14d", "before-7d", "before-3d", "before-1d", "due", "after-1d", "after-3d", "after-7d",
    ]  # fmt: skip
    assert points[0].at == cst(2025, 11, 11)  # 30 days before the end of 10 December
    assert points[5].at == cst(2025, 12, 11) and points[5].kind is PointKind.due
    assert points[-1].at == cst(2025, 12, 18) and points[-1].kind is PointKind.passed


def test_on_schedule_one_point_at_a_time(schedule: WindowSchedule) -> None:
    points = _points(schedule)
    step = next_step(points, now=cst(2025, 11, 1), done={})
    assert (step.emit, step.skip, step.wake_at) == (None, (), cst(2025, 11, 11))
    step = next_step(points, now=cst(2025, 11, 11, 0, 0, 2), done={})
    assert step.emit is not None and step.emit.key == "before-30d" and not step.late
    assert step.wake_at == cst(2025, 11, 27)
    done = {"before-30d": EMITTED}
    assert next_step(points, now=cst(2025, 11, 11, 0, 1), done=done).emit is None


def test_recovery_emits_only_the_most_recent_missed_point_late(schedule: WindowSchedule) -> None:
    points = _points(schedule)
    done = {"before-30d": EMITTED, "before-14d": EMITTED}
    # down from 1 December to 12 December 09:00 China time: missed -7d, -3d, -1d, due, +1d
    step = next_step(points, now=cst(2025, 12, 12, 9), done=done)
    assert step.emit is not None and step.emit.key == "after-1d" and step.late
    assert [p.key for p in step.skip] == ["before-7d", "before-3d", "before-1d", "due"]
    assert step.wake_at == cst(2025, 12, 14)
    # one missed point, found hours late: emitted, late
    one = next_step(points, now=cst(2025, 12, 4, 6), done=done)
    assert one.emit is not None and one.emit.key == "before-7d" and one.late and one.skip == ()
    # the whole window over: the last point, late; nothing more to wake for
    end = next_step(points, now=cst(2026, 1, 1), done={})
    assert end.emit is not None and end.emit.key == "after-7d" and end.late
    assert len(end.skip) == 8 and end.wake_at is None


def test_a_whole_window_emits_each_point_exactly_once(schedule: WindowSchedule) -> None:
    points = _points(schedule)
    done: dict[str, PointOutcome] = {}
    now = cst(2025, 11, 1)
    emitted = []
    while True:
        step = next_step(points, now=now, done=done)
        done |= {p.key: SKIPPED for p in step.skip}
        if step.emit is not None:
            emitted.append(step.emit.key)
            done[step.emit.key] = EMITTED
        if step.wake_at is None:
            break
        now = step.wake_at
    assert emitted == [p.key for p in points]
    assert set(done.values()) == {EMITTED}


def test_changed_offsets_for_an_open_window_take_effect(schedule: WindowSchedule) -> None:
    done = {"before-30d": EMITTED, "before-14d": EMITTED}
    now = cst(2025, 11, 28)
    changed = clock_points(
        schedule.due_at, ReminderOffsets(before_days=(30, 14, 10, 2), after_days=(5,))
    )
    step = next_step(changed, now=now, done=done)
    assert step.emit is None and step.wake_at == cst(2025, 12, 1)  # the new 10-day point
    # an offset added after its time passed, before the last handled point: skipped, not sent
    added_late = clock_points(
        schedule.due_at, ReminderOffsets(before_days=(30, 20, 14), after_days=())
    )
    step = next_step(added_late, now=now, done=done)
    assert [p.key for p in step.skip] == ["before-20d"] and step.emit is None
    # a removed offset is simply gone
    fewer = clock_points(schedule.due_at, ReminderOffsets(before_days=(30, 14), after_days=()))
    assert next_step(fewer, now=cst(2025, 12, 4, 0, 1), done=done).emit is None
    assert next_step(fewer, now=cst(2025, 12, 4), done=done).wake_at == schedule.due_at


def test_a_timer_a_little_late_is_not_late(schedule: WindowSchedule) -> None:
    points = _points(schedule)
    step = next_step(
        points,
        now=schedule.due_at + dt.timedelta(minutes=4),
        done={p.key: EMITTED for p in points[:5]},
    )
    assert step.emit is not None and step.emit.key == "due" and not step.late


def test_reminders_on_days_off_fire_on_the_working_day_before_and_once() -> None:
    """Issue 11 (Working days), planned by the clock (issue 9, The deadline clock). Due at the
    end of 2026-02-23, the last day of the Spring Festival holiday (2026-02-15 to 02-23): the
    7-, 3- and 1-day reminders all fall in the holiday and fold into one on the make-up
    Saturday 02-14 at 09:00; the 14-day one (02-10, Tuesday) stays; the due time never moves."""
    due_at = cst(2026, 2, 24)
    reminders = ReminderOffsets(before_days=(14, 7, 3, 1), after_days=(1,))
    points = clock_points(due_at, reminders, shift_to_working_day=True)
    assert [(p.key, p.at) for p in points] == [
        ("before-14d", cst(2026, 2, 10)),
        ("before-7d", cst(2026, 2, 14, 9, 0)),
        ("due", due_at),
        ("after-1d", cst(2026, 2, 25)),
    ]
    unshifted = clock_points(due_at, reminders)
    assert [p.at for p in unshifted][:4] == [
        cst(2026, 2, 10),
        cst(2026, 2, 17),
        cst(2026, 2, 21),
        cst(2026, 2, 23),
    ]


def test_a_reminder_in_a_year_without_a_calendar_keeps_its_time_and_says_so() -> None:
    """The 2027 annual report (due at the end of Friday 10 December 2027): its 7-day reminder
    falls on Saturday 4 December. Without a 2027 calendar nothing may count working days in
    2027, so the point stays where it is and names the year; with 2027 loaded it moves to
    Friday 3 December, 09:00."""
    due_at = cst(2027, 12, 11)
    reminders = ReminderOffsets(before_days=(7,), after_days=())
    (reminder, due) = clock_points(due_at, reminders, shift_to_working_day=True)
    assert (reminder.at, reminder.calendar_missing) == (cst(2027, 12, 4), 2027)
    assert due.calendar_missing is None
    year_2027 = YearCalendar(year=2027, holidays=frozenset({dt.date(2027, 10, 1)}))
    (moved, _) = clock_points(
        due_at,
        reminders,
        shift_to_working_day=True,
        calendar=WorkingDayCalendar.with_years([year_2027]),
    )
    assert (moved.at, moved.calendar_missing) == (cst(2027, 12, 3, 9, 0), None)
    details = emitted_details(reminder, late=False, skipped=(), missing=3)
    assert details["calendar_missing"] == 2027
    assert "calendar_missing" not in emitted_details(moved, late=False, skipped=(), missing=3)
