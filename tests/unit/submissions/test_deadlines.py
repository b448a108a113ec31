"""On time or late (004_9c19d9a85d8c1f73.txt 三(三): 于每年12月10日), decided by the first submission."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.programmes import WindowSchedule
from submissions.domain.deadlines import (
    Timeliness,
    first_submission_timeliness,
    reporter_deadlines,
    timeliness,
)
from tests.unit.submissions.conftest import cst

ON_TIME, LATE = Timeliness.on_time, Timeliness.late
DUE_2025 = dt.datetime.fromisoformat("2025-12-11T00:00:00+08:00")


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        ("2025-12-10T23:59:59+08:00", ON_TIME),
        ("2025-12-10T15:59:59+00:00", ON_TIME),  # the same instant in UTC
        ("2025-12-10T23:59:59.999999+08:00", ON_TIME),
        ("2025-12-10T15:59:59.999999+00:00", ON_TIME),
        ("2025-12-11T00:00:00+08:00", LATE),
        ("2025-12-10T16:00:00+00:00", LATE),  # the same instant in UTC
        ("2025-12-11T00:00:00.000001+08:00", LATE),
        ("2025-12-10T00:00:00+08:00", ON_TIME),
        ("2025-11-01T00:00:00+08:00", ON_TIME),
        ("2025-12-10T10:59:59-05:00", ON_TIME),  # 15:59:59Z seen from New York
        ("2025-12-10T11:00:00-05:00", LATE),
    ],
)
def test_the_12_10_boundary(received: str, expected: Timeliness) -> None:
    assert timeliness(dt.datetime.fromisoformat(received), DUE_2025) is expected


def test_the_window_due_time_is_that_boundary(schedule: WindowSchedule) -> None:
    assert schedule.due_at == DUE_2025
    assert timeliness(cst(2025, 12, 10, 23, 59, 59), schedule.due_at) is ON_TIME
    assert timeliness(cst(2025, 12, 11), schedule.due_at) is LATE


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        timeliness(dt.datetime(2025, 12, 10, 23, 0), DUE_2025)


def test_the_first_submission_decides_and_a_later_correction_never_changes_it() -> None:
    on_time_then_corrected = [cst(2025, 12, 9), cst(2025, 12, 20)]
    assert first_submission_timeliness(on_time_then_corrected, DUE_2025) is ON_TIME
    # order of the input does not matter: the earliest instant is the first submission
    assert first_submission_timeliness(reversed(on_time_then_corrected), DUE_2025) is ON_TIME
    assert first_submission_timeliness([cst(2025, 12, 12), cst(2025, 12, 13)], DUE_2025) is LATE
    assert first_submission_timeliness([], DUE_2025) is None


def test_a_reporter_due_later_keeps_the_grace_length_and_the_lock_follows(
    schedule: WindowSchedule,
) -> None:
    own = reporter_deadlines(schedule, due_at=schedule.due_at)
    assert (own.due_at, own.grace_until, own.locks_at) == (
        schedule.due_at,
        schedule.grace_until,
        schedule.locks_at,
    )
    late = reporter_deadlines(schedule, due_at=cst(2025, 12, 31))  # designated 1 December
    assert late.grace_until == cst(2026, 1, 7)
    assert late.locks_at == cst(2026, 1, 7)
    early = reporter_deadlines(schedule, due_at=cst(2025, 12, 1))
    assert early.due_at == schedule.due_at  # never earlier than the window's
