"""Inputs and outputs of the deadline clocks' workflows and activities (pydantic payloads),
and the clocks' workflow ids: one per reporting window, one statistics clock per programme."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

TASK_QUEUE = "submissions-clock"


def workflow_id_of(window_id: str) -> str:
    """One workflow per window: a business reference, so starting it twice reaches the same."""
    return f"submissions-window-clock-{window_id}"


def statistics_workflow_id(programme_id: str) -> str:
    """One clock per programme: a business reference, so starting it twice reaches the same."""
    return f"submissions-statistics-clock-{programme_id}"


class WindowClockInput(BaseModel):
    programme_id: str
    window: str
    year: int
    ticks_before_continue: int = 500
    retry_max_interval_seconds: float = 600


class OpenInput(BaseModel):
    programme_id: str
    window: str
    year: int
    now: dt.datetime


class OpenResult(BaseModel):
    window_id: str
    open: bool
    opens_at: dt.datetime
    locks_at: dt.datetime
    # the programme file no longer has this window-year, or the year is not owed any more
    gone: bool = False


class TickInput(BaseModel):
    window_id: str
    now: dt.datetime


class TickResult(BaseModel):
    emitted: str | None = None
    late: bool = False
    skipped: list[str] = []
    wake_at: dt.datetime | None = None
    locked: bool = False


class StatisticsClockInput(BaseModel):
    programme_id: str
    ticks_before_continue: int = 500
    retry_max_interval_seconds: float = 600


class StatisticsTickInput(BaseModel):
    programme_id: str
    now: dt.datetime


class StatisticsTickResult(BaseModel):
    emitted: list[str] = []  # "<period>/<point>"
    skipped: list[str] = []
    wake_at: dt.datetime | None = None
    finished: bool = False  # every period locked, or the programme collects no statistics
