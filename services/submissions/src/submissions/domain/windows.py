"""A reporting window's id, and which of its years are owed.

The id names the programme, the window's id in the programme file and the year
(``guizhou-shibaiqianwan-2023.annual-report.2025``). The province opening it and the clock
opening it name the same window, so it is opened once.

Which years are owed: the programme period is the horizon of the *targets* (004 一: 到2025年),
not of the obligations. Every designated project reports 于每年12月10日 and stays under dynamic
management (004 三(三): 示范项目实行动态管理) for as long as its designation is in force. So a year
within the period runs as it always did; a year past it runs when the programme set a
``last_year`` that covers it, or, for an open-ended window, while any designation in the
window's categories is in force. A year past the period is never opened ahead of its own
calendar year: whether it is owed is known only from the designations in force now.
"""

from __future__ import annotations

import datetime as dt

from shared.china_time import CHINA
from shared.i18n import t
from shared.programmes import ReportingWindow
from submissions.domain.errors import Refused

# The refusals of a year that is not owed (each 422 naming ``year``); the clock's own
# window-year then has nothing to open.
YEAR_NOT_BEGUN = "year_not_begun"
NO_DESIGNATION_IN_FORCE = "no_designation_in_force"
YEAR_NOT_OWED = frozenset({YEAR_NOT_BEGUN, NO_DESIGNATION_IN_FORCE})


def window_id_of(programme_id: str, window_slug: str, year: int) -> str:
    return f"{programme_id}.{window_slug}.{year}"


def year_refusal(
    window: ReportingWindow,
    year: int,
    *,
    period_end: dt.date,
    current_year: int,
    designations_in_force: bool,
) -> Refused | None:
    """Why a year the window runs in (``window.runs_in(year)``) is not owed now, or None.
    ``current_year`` is the China year of the instant asked about; ``designations_in_force``
    whether any designation in the window's categories is in force at that instant."""
    if year <= period_end.year:
        return None
    horizon = period_end.isoformat()
    if year > current_year:
        return Refused(
            YEAR_NOT_BEGUN,
            t(
                f"{year}年在规划期（至{horizon}）之后，须到该年才能开启其填报窗口",
                f"{year} is past the programme period (to {horizon}): its window opens in "
                "that year at the earliest",
            ),
            field="year",
        )
    if window.open_ended and not designations_in_force:
        return Refused(
            NO_DESIGNATION_IN_FORCE,
            t(
                f"规划期（至{horizon}）之后，仅在其类别仍有有效示范认定时才须报送；"
                f"{year}年已无有效认定",
                f"past the programme period (to {horizon}) the report is owed only while a "
                f"designation in its categories is in force; none is in {year}",
            ),
            field="year",
        )
    return None


def clock_years(
    window: ReportingWindow,
    *,
    period_end: dt.date,
    now: dt.datetime,
    designations_in_force: bool,
) -> list[int]:
    """The years whose deadline clock should run at ``now``: each year the window runs that
    has not locked and is owed (``year_refusal``). Past the period that stops at the current
    year (China time), so a clock is never started for a year not begun."""
    current_year = now.astimezone(CHINA).year
    years = []
    for year in window.years(through=max(period_end.year, current_year)):
        if window.schedule(year).locks_at <= now:
            continue
        refusal = year_refusal(
            window,
            year,
            period_end=period_end,
            current_year=current_year,
            designations_in_force=designations_in_force,
        )
        if refusal is None:
            years.append(year)
    return years
