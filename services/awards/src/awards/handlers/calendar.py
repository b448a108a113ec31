"""The application workflow's activity plans a public notice on China's working-day calendar
(docs/calendar.md): the one every service keeps, loaded years from the registry over the
chinesecalendar library. The province loads a year on the registry (``PUT /v1/calendars/
{year}``); awards keeps it from ``registry.calendar`` events (its consumer), in
``calendar_years``."""

from __future__ import annotations

from awards.domain.notice import days_counted, end_instant, notice_last_day, resumed_last_day
from awards.handlers.common import Pool
from awards.workflows.types import NoticeDates, NoticePlan
from shared.working_days import WorkingDayCalendar


async def plan_notice(pool: Pool, calendar: WorkingDayCalendar, plan: NoticePlan) -> NoticeDates:
    """The notice's last day on the calendar, refreshed first so that a year loaded a moment
    ago counts. A notice counted in working days through a year the calendar lacks raises
    ``CalendarMissing``: it waits until the province loads the year."""
    await calendar.refresh(pool)
    if plan.kind == "start":
        last = notice_last_day(plan.published_on, plan.public_notice, calendar)
        return NoticeDates(last_day=last, ends_at=end_instant(last))
    if plan.remaining is None:
        if plan.objection_on is None:
            raise ValueError("pausing a notice needs the day of the objection")
        counted = days_counted(plan.published_on, plan.objection_on, plan.public_notice, calendar)
        return NoticeDates(
            last_day=plan.published_on,
            ends_at=end_instant(plan.published_on),
            counted_before_objection=counted,
        )
    last = resumed_last_day(plan.published_on, plan.remaining, plan.public_notice, calendar)
    return NoticeDates(last_day=last, ends_at=end_instant(last))
