"""Problems of the working-day calendar (docs/calendar.md): the registry's
``PUT /v1/calendars/{year}``."""

from __future__ import annotations

from shared.http.catalogue.common import FIX
from shared.http.problem_types import CATALOGUE

add = CATALOGUE.add

INVALID_CALENDAR_YEAR = add("invalid_calendar_year", 422, "工作日历年度有误",
    "Invalid calendar year",
    meaning="The year's days break a rule of the calendar: `errors` names each day (a date "
    "outside the year, a day both holiday and make-up workday, a make-up workday that is not "
    "a Saturday or Sunday) or the empty list of holidays.",
    client_action=FIX)  # fmt: skip
