"""Reporting windows as data: the yearly schedule of the Guizhou 12-10 report and its rules.

The due day is the seed's (004_9c19d9a85d8c1f73.txt 三(三): 于每年12月10日向省商务厅报送); the
opening, grace, lock, reminder offsets and late-designation rule are configurable defaults
documented in docs/programmes.md and docs/submissions.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shared.programmes import (
    LateDesignationDue,
    Programme,
    ReportingWindow,
    load_programmes,
)

ROOT = Path(__file__).resolve().parents[3]
GUIZHOU = "guizhou-shibaiqianwan-2023"
CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def guizhou() -> Programme:
    return load_programmes(ROOT / "shared" / "programmes")[GUIZHOU]


def _window(**changes: Any) -> ReportingWindow:
    data: dict[str, Any] = {
        "id": "annual",
        "name": "年报",
        "due_month": 12,
        "due_day": 10,
        "reporters": ["park"],
        "recipient": "省商务厅",
        "first_year": 2023,
        "last_year": 2025,
        "source_ref": {"file": "004_9c19d9a85d8c1f73.txt", "section": "三"},
    }
    data.update(changes)
    return ReportingWindow.model_validate(data)


def test_guizhou_2025_schedule(guizhou: Programme) -> None:
    (window,) = guizhou.reporting_windows
    schedule = window.schedule(2025)
    # 004 line 39: 于每年12月10日; due at the end of 10 December, China time
    assert schedule.due_at == dt.datetime(2025, 12, 11, 0, 0, tzinfo=CST)
    assert schedule.due_at == dt.datetime(2025, 12, 10, 16, 0, tzinfo=dt.UTC)
    assert schedule.opens_at == dt.datetime(2025, 11, 1, 0, 0, tzinfo=CST)
    assert schedule.grace_until == dt.datetime(2025, 12, 18, 0, 0, tzinfo=CST)
    assert schedule.locks_at == dt.datetime(2026, 1, 1, 0, 0, tzinfo=CST)
    assert (schedule.covers_from, schedule.covers_to) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 10, 31),
    )
    assert schedule.reminders.before_days == (30, 14, 7, 3, 1)
    assert schedule.reminders.after_days == (1, 3, 7)
    assert schedule.late_designation_due == LateDesignationDue(rule="days_after_grant", days=30)
    assert window.years(through=2025) == (2023, 2024, 2025)


def test_the_guizhou_report_outlives_the_targets_horizon(guizhou: Programme) -> None:
    """004 一 sets the targets 到2025年; 004 三(三) asks for the report 于每年12月10日 and keeps
    the projects under 动态管理: the window starts with the period and has no last year."""
    (window,) = guizhou.reporting_windows
    assert guizhou.period.end == dt.date(2025, 12, 31)
    assert window.first_year == 2023  # 从2023年开始 (三(二)2(1))
    assert window.last_year is None and window.open_ended
    schedule = window.schedule(2026)
    assert schedule.opens_at == dt.datetime(2026, 11, 1, tzinfo=CST)
    assert schedule.due_at == dt.datetime(2026, 12, 11, tzinfo=CST)  # end of 10 December 2026
    assert schedule.locks_at == dt.datetime(2027, 1, 1, tzinfo=CST)
    assert window.runs_in(2026) and window.runs_in(2030)
    assert not window.runs_in(2022)
    with pytest.raises(KeyError):
        window.schedule(2022)  # before the first round
    with pytest.raises(ValueError, match="open-ended"):
        window.years()
    assert window.years(through=2026) == (2023, 2024, 2025, 2026)


def test_a_programme_may_set_the_last_year() -> None:
    window = _window(first_year=2023, last_year=2027)
    assert not window.open_ended
    assert window.years() == (2023, 2024, 2025, 2026, 2027)
    assert window.years(through=2025) == (2023, 2024, 2025)
    assert window.schedule(2027).due_at == dt.datetime(2027, 12, 11, tzinfo=CST)
    with pytest.raises(KeyError):
        window.schedule(2028)


def test_a_window_may_run_past_the_programme_period(guizhou: Programme) -> None:
    """The period bounds the targets, not the yearly obligations: a window whose years go past
    it is valid; one without years starts with the period and stays open-ended."""
    data = guizhou.model_dump(mode="json")
    data["reporting_windows"][0]["last_year"] = 2030
    assert Programme.model_validate(data).reporting_windows[0].years() == tuple(range(2023, 2031))
    del data["reporting_windows"][0]["first_year"]
    del data["reporting_windows"][0]["last_year"]
    window = Programme.model_validate(data).reporting_windows[0]
    assert (window.first_year, window.last_year) == (2023, None)


def test_a_year_override_moves_only_that_year() -> None:
    window = _window(
        overrides=[{"year": 2024, "due_on": dt.date(2024, 12, 12), "note": "周末顺延"}]
    )
    assert window.schedule(2024).due_at == dt.datetime(2024, 12, 13, tzinfo=CST)
    assert window.schedule(2024).grace_until == dt.datetime(2024, 12, 20, tzinfo=CST)
    assert window.schedule(2025).due_at == dt.datetime(2025, 12, 11, tzinfo=CST)
    assert window.closes_at(2024) == window.schedule(2024).due_at


def test_default_rules_are_documented_defaults() -> None:
    window = _window()
    schedule = window.schedule(2024)
    assert schedule.opens_at == dt.datetime(2024, 11, 1, tzinfo=CST)
    assert schedule.grace_until - schedule.due_at == dt.timedelta(days=7)
    assert schedule.locks_at == dt.datetime(2025, 1, 1, tzinfo=CST)
    assert window.late_designation_due.rule == "window"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"opens": {"month": 12, "day": 11}}, "opens at or after its due time"),
        ({"lock": {"month": 12, "day": 12}}, "locks before its grace period ends"),
        ({"reminders": {"before_days": [7, 7]}}, "repeats an offset"),
        ({"reminders": {"before_days": [0]}}, "greater than or equal to 1"),
        ({"late_designation_due": {"rule": "days_after_grant"}}, "needs days"),
        ({"late_designation_due": {"rule": "window", "days": 3}}, "takes no days"),
        ({"overrides": [{"year": 2030, "due_on": dt.date(2030, 12, 1)}]}, "outside the window"),
        ({"first_year": 2026}, "first_year is after last_year"),
        ({"covers": {"start_month": 2, "start_day": 30, "end_month": 3, "end_day": 1}}, "day"),
    ],
)
def test_inconsistent_windows_are_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _window(**changes)
