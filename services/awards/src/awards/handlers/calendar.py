"""The application workflow's activity plans a public notice on China's working-day calendar
(docs/calendar.md): the one every service keeps, loaded years from the registry over the
chinesecalendar library. The province loads a year on the registry (``PUT /v1/calendars/
{year}``); awards keeps it from ``registry.calendar`` events (its consumer), in
``calendar_years``."""

from __future__ import annotations

import datetime as dt
import uuid

from awards.db import queries
from awards.domain.notice import days_counted, end_instant, notice_last_day, resumed_last_day
from awards.handlers.applications import write_step
from awards.handlers.common import Pool
from awards.workflows.types import NoticeDates, NoticePlan, StepRecord
from shared.working_days import Rows, WorkingDayCalendar


async def plan_notice(rows: Rows, calendar: WorkingDayCalendar, plan: NoticePlan) -> NoticeDates:
    """The notice's last day on the calendar, refreshed first (from ``rows``, a pool or a
    connection) so that a year loaded a moment ago counts. A notice counted in working days
    through a year the calendar lacks raises ``CalendarMissing``: it waits until the province
    loads the year."""
    await calendar.refresh(rows)
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


async def plan_notice_with_step(
    pool: Pool,
    calendar: WorkingDayCalendar,
    plan: NoticePlan,
    record: StepRecord,
    *,
    topic_prefix: str,
    event_source: str,
) -> NoticeDates:
    """``plan_notice``, then the step that publishes the notice with its last day (in its
    detail and on the application), on one connection. A retry that finds the step written
    answers with the last day written then, so the workflow keeps the dates its timeline
    shows even if the calendar changed between the attempts."""
    async with pool.acquire() as connection:
        dates = await plan_notice(connection, calendar, plan)
        last_day = str(dates.last_day)
        step = record.model_copy(
            update={
                "notice_last_day": dates.last_day,
                "detail": {**record.detail, "notice_last_day": last_day},
            }
        )
        if await write_step(connection, step, topic_prefix=topic_prefix, event_source=event_source):
            return dates
        written = await connection.fetchval(
            queries.STEP_NOTICE_LAST_DAY, uuid.UUID(record.application_id), record.seq
        )
    if written is None or written == last_day:
        return dates
    last = dt.date.fromisoformat(written)
    return NoticeDates(last_day=last, ends_at=end_instant(last))
