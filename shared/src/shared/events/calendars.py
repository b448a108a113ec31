"""The working-day calendar, published by the registry (docs/calendar.md).

Each event carries the whole year as loaded, so a service keeps it without asking the registry
(``shared.calendar_years``); the topic is keyed by year, so one year's versions arrive in
order. Versions only grow: a consumer keeps the highest it has seen.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from shared.events.envelope import DomainEvent


class CalendarLoaded(DomainEvent):
    event_type = "registry.calendar.loaded"
    topic = "registry.calendar"
    aggregate_field = "year"
    summary = (
        "The province loaded a year's working-day calendar (a year the chinesecalendar library "
        "does not know yet, or a correction of one it knows): the whole year as it now stands. "
        "A loaded year wins over the library."
    )

    year: int = Field(ge=2000, le=2100)
    version: int = Field(ge=1, description="1 for the first load of the year, then one more each")
    holidays: list[dt.date] = Field(
        description="The year's public holidays (法定节假日 and the days off around them), weekends "
        "within a holiday included, in day order"
    )
    workdays: list[dt.date] = Field(
        description="The year's 调休 make-up workdays: Saturdays or Sundays worked, in day order"
    )
    source_document: str | None = Field(
        default=None,
        description="The notice the year is taken from, as the province named it (e.g. "
        "国务院办公厅关于2027年部分节假日安排的通知)",
    )
    loaded_by: str = Field(description="Who loaded it (the token's subject)")
    loaded_at: dt.datetime


CALENDAR_EVENTS: tuple[type[DomainEvent], ...] = (CalendarLoaded,)
