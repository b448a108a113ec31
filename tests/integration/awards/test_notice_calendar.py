"""The public notice counts on the calendar awards keeps from the registry (docs/calendar.md):
a notice counted in working days through a year without a calendar waits (the activity fails
with ``CalendarMissing`` and Temporal retries it), and counts as soon as the registry's year
reaches awards' ``calendar_years`` through its consumer."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from awards.consumers.handlers import TOPICS
from awards.workflows.activities import ApplicationActivities
from awards.workflows.types import NoticePlan
from shared.events import wrap
from shared.events.calendars import CalendarLoaded
from shared.programmes.awarding import NoticeUnit, PublicNotice
from shared.working_days import WorkingDayCalendar
from tests.integration.awards.conftest import consumer_table, no_temporal

FIVE_WORKING_DAYS = PublicNotice(length=5, unit=NoticeUnit.working_days)


async def test_a_notice_into_a_year_without_a_calendar_waits_then_counts_once_loaded(
    awards_pool: asyncpg.Pool,
) -> None:
    assert "registry.calendar" in TOPICS
    activities = ApplicationActivities(awards_pool, calendar=WorkingDayCalendar())
    # Published Wednesday 30 December 2026: its five working days run into 2027.
    plan = NoticePlan(published_on=dt.date(2026, 12, 30), public_notice=FIVE_WORKING_DAYS)
    with pytest.raises(ApplicationError) as waiting:
        await ActivityEnvironment().run(activities.plan_notice, plan)
    assert waiting.value.type == "CalendarMissing" and "2027" in str(waiting.value)

    loaded = CalendarLoaded(
        year=2027,
        version=1,
        holidays=[dt.date(2027, 1, 1)],
        workdays=[],
        loaded_by="tester",
        loaded_at=dt.datetime(2026, 12, 31, tzinfo=dt.UTC),
    )
    envelope = wrap(loaded, source="/services/registry")
    handler = consumer_table(no_temporal)[envelope.base_type]
    async with awards_pool.acquire() as connection, connection.transaction():
        await handler(connection, loaded, envelope)

    dates = await ActivityEnvironment().run(activities.plan_notice, plan)
    # 31 Dec (library), then 2027: 1 Jan a holiday, Mon 4 to Thu 7 January
    assert dates.last_day == dt.date(2027, 1, 7)
