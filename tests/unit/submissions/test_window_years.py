"""Which years of a reporting window are owed, and which deadline clocks the worker starts.

004_9c19d9a85d8c1f73.txt: the targets run 到2025年 (一), the report 于每年12月10日 and dynamic
management (三(三)) for as long as designations are in force. Within the programme period a
year runs as before; past it, up to the current year (the clock passed in, never the wall
clock) and, for an open-ended window, only while a designation of its categories is in force.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from shared.programmes import Programme, load_programmes
from submissions.domain.windows import (
    NO_DESIGNATION_IN_FORCE,
    YEAR_NOT_BEGUN,
    clock_years,
    year_refusal,
)
from submissions.workflows.worker import ensure_clocks

ROOT = Path(__file__).resolve().parents[3]
GUIZHOU = "guizhou-shibaiqianwan-2023"
CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def guizhou() -> Programme:
    return load_programmes(ROOT / "shared" / "programmes")[GUIZHOU]


def test_within_the_period_a_year_runs_as_before(guizhou: Programme) -> None:
    (window,) = guizhou.reporting_windows
    for year in (2023, 2024, 2025):
        assert (
            year_refusal(
                window,
                year,
                period_end=guizhou.period.end,
                current_year=2023,
                designations_in_force=False,
            )
            is None
        )


def test_past_the_period_a_year_needs_a_designation_in_force_and_its_own_year(
    guizhou: Programme,
) -> None:
    (window,) = guizhou.reporting_windows

    def refusal(year: int, current_year: int, in_force: bool) -> str | None:
        found = year_refusal(
            window,
            year,
            period_end=guizhou.period.end,
            current_year=current_year,
            designations_in_force=in_force,
        )
        return None if found is None else found.code

    assert refusal(2026, 2026, True) is None
    assert refusal(2026, 2026, False) == NO_DESIGNATION_IN_FORCE
    assert refusal(2027, 2026, True) == YEAR_NOT_BEGUN
    assert refusal(2030, 2030, True) is None


def test_a_set_last_year_runs_without_asking_for_designations(guizhou: Programme) -> None:
    window = guizhou.reporting_windows[0].model_copy(update={"last_year": 2027})
    found = year_refusal(
        window, 2027, period_end=guizhou.period.end, current_year=2027, designations_in_force=False
    )
    assert found is None


def test_clock_years_are_bounded_by_the_current_year(guizhou: Programme) -> None:
    (window,) = guizhou.reporting_windows
    december_2026 = dt.datetime(2026, 12, 6, 10, tzinfo=CST)
    # 2023–2025 have locked; 2026 is owed; 2027 has not begun
    assert clock_years(
        window, period_end=guizhou.period.end, now=december_2026, designations_in_force=True
    ) == [2026]
    assert (
        clock_years(
            window, period_end=guizhou.period.end, now=december_2026, designations_in_force=False
        )
        == []
    )
    # Before the period ended: every year of it not locked, as before
    june_2024 = dt.datetime(2024, 6, 1, tzinfo=CST)
    assert clock_years(
        window, period_end=guizhou.period.end, now=june_2024, designations_in_force=False
    ) == [2024, 2025]
    # The year turns in China time: 1 January 2027, 00:30 CST is still 2026 in UTC
    new_year = dt.datetime(2027, 1, 1, 0, 30, tzinfo=CST)
    assert clock_years(
        window, period_end=guizhou.period.end, now=new_year, designations_in_force=True
    ) == [2027]


class FakeClient:
    def __init__(self) -> None:
        self.started: list[str] = []

    async def start_workflow(self, *args: Any, id: str, **kwargs: Any) -> None:
        self.started.append(id)


async def test_the_worker_starts_the_clock_of_an_owed_year_past_the_period(
    guizhou: Programme,
) -> None:
    now = dt.datetime(2026, 12, 6, 10, tzinfo=CST)
    programmes = {GUIZHOU: guizhou}
    client = FakeClient()
    started = await ensure_clocks(
        client,  # type: ignore[arg-type]
        programmes,
        now=now,
        in_force={(GUIZHOU, "annual-report")},
    )
    assert started == [f"{GUIZHOU}.annual-report.2026"]
    assert client.started == [f"submissions-window-clock-{GUIZHOU}.annual-report.2026"]
    nothing_in_force = FakeClient()
    assert await ensure_clocks(nothing_in_force, programmes, now=now) == []  # type: ignore[arg-type]
    assert nothing_in_force.started == []
