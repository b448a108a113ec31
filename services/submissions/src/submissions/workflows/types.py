"""Inputs and outputs of the deadline clock's workflow and activities (pydantic payloads)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

TASK_QUEUE = "submissions-clock"


def workflow_id_of(window_id: str) -> str:
    """One workflow per window: a business reference, so starting it twice reaches the same."""
    return f"submissions-window-clock-{window_id}"


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
    gone: bool = False  # the programme file no longer has this window-year


class TickInput(BaseModel):
    window_id: str
    now: dt.datetime


class TickResult(BaseModel):
    emitted: str | None = None
    late: bool = False
    skipped: list[str] = []
    wake_at: dt.datetime | None = None
    locked: bool = False
