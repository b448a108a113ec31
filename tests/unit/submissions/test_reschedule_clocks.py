"""A revised programme's running clocks are told to reschedule (``reschedule_clocks``): the
years a clock may run for, an open-ended window's (Guizhou's annual report) included; a year
whose clock is not there (NOT_FOUND) is passed over, any other failure is raised."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from shared.china_time import CHINA
from shared.programmes import load_programmes
from submissions.workflows.worker import reschedule_clocks

ROOT = Path(__file__).resolve().parents[3]
GUIZHOU = "guizhou-shibaiqianwan-2023"
CLOCK = "submissions-window-clock-guizhou-shibaiqianwan-2023.annual-report"


class Handle:
    def __init__(self, client: Client, workflow_id: str) -> None:
        self.client, self.workflow_id = client, workflow_id

    async def signal(self, signal: Any) -> None:
        failure = self.client.failures.get(self.workflow_id)
        if failure is not None:
            raise RPCError("no such workflow", failure, b"")
        self.client.signalled.append((self.workflow_id, signal.__name__))


class Client:
    def __init__(self, failures: dict[str, RPCStatusCode] | None = None) -> None:
        self.failures = failures or {}
        self.signalled: list[tuple[str, str]] = []

    def get_workflow_handle(self, workflow_id: str) -> Handle:
        return Handle(self, workflow_id)


async def test_the_open_ended_windows_running_year_is_told() -> None:
    guizhou = load_programmes(ROOT / "shared" / "programmes")[GUIZHOU]
    assert guizhou.reporting_window("annual-report").last_year is None  # open-ended
    client = Client()
    now = dt.datetime(2026, 11, 2, 9, tzinfo=CHINA)
    told = await reschedule_clocks(client, guizhou, now=now)  # type: ignore[arg-type]
    assert told == [f"{GUIZHOU}.annual-report.2026"]  # 2025 locked at the end of 2025
    assert client.signalled == [(f"{CLOCK}.2026", "reschedule")]


async def test_a_missing_clock_is_passed_over_and_other_failures_raise() -> None:
    guizhou = load_programmes(ROOT / "shared" / "programmes")[GUIZHOU]
    now = dt.datetime(2025, 11, 2, 9, tzinfo=CHINA)
    missing = Client({f"{CLOCK}.2025": RPCStatusCode.NOT_FOUND})
    assert await reschedule_clocks(missing, guizhou, now=now) == []  # type: ignore[arg-type]
    away = Client({f"{CLOCK}.2025": RPCStatusCode.UNAVAILABLE})
    with pytest.raises(RPCError):
        await reschedule_clocks(away, guizhou, now=now)  # type: ignore[arg-type]
