"""Telling the province that a year's working-day calendar is not loaded (docs/calendar.md):
from 1 November for the next year (the State Council publishes its arrangement in the autumn,
and December's reminders and notices run into January), and for this year whenever it lacks
one. Each province that runs a programme is told once per year, on its usual channels: its
administration's inbox and every address it keeps in the directory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import get_args

from notifications.domain.applications import province_of
from shared.programmes import Programme
from shared.programmes.notifications import Channel
from shared.working_days import years_needed

KIND = "calendar_missing"
ROLE = "province_admin"
# Every channel there is: the province's office hears on whichever it keeps addresses for.
CHANNELS: tuple[str, ...] = get_args(Channel)


def provinces_of(programmes: Iterable[Programme]) -> list[str]:
    """The provinces that run a programme (a city's programme, Qingdao's, is its province's
    to be told: a province administration loads the calendar)."""
    return sorted({province_of(programme.jurisdiction) for programme in programmes})


def years_to_tell(today: dt.date, covers: Callable[[int], bool]) -> list[int]:
    """The years needed on ``today`` (a China date) that the calendar does not cover."""
    return [year for year in years_needed(today) if not covers(year)]


def notice_event_id(province_code: str, year: int) -> str:
    """The notice's key in the delivery ledger: one per province and year."""
    return f"calendar-missing:{province_code}:{year}"
