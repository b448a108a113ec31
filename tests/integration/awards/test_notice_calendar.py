"""The public notice counts on the calendar awards keeps from the registry (docs/calendar.md):
a notice counted in working days through a year without a calendar waits (the activity fails
with ``CalendarMissing`` and Temporal retries it), and counts as soon as the registry's year
reaches awards' ``calendar_years`` through its consumer."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from awards.consumers.handlers import TOPICS
from awards.domain.application import Stage
from awards.handlers import applications
from awards.workflows.activities import ApplicationActivities
from awards.workflows.types import NoticePlan, StepRecord
from shared.events import wrap
from shared.events.calendars import CalendarLoaded
from shared.programmes import Programme
from shared.programmes.awarding import NoticeUnit, PublicNotice
from shared.working_days import WorkingDayCalendar
from tests.integration.awards.conftest import application_start, consumer_table, no_temporal

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


async def test_a_decision_step_is_written_with_the_notice_it_plans_and_a_retry_keeps_its_day(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    """``plan_notice_with_step``: the approved decision's step carries the notice's last day
    (in its detail and on the application); an attempt that finds the step written answers
    with the day written then, not one planned again."""
    at = dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC)
    start = application_start(guizhou, due_at=at + dt.timedelta(days=30))
    await applications.record_submission(awards_pool, start, at=at, topic_prefix="t.")
    activities = ApplicationActivities(awards_pool, calendar=WorkingDayCalendar())
    decision = StepRecord(
        application_id=start.application_id,
        programme_id=start.terms.programme_id,
        region_code=start.applicant.region_code,
        seq=1,
        step="decide",
        stage_after=Stage.public_notice,
        waiting_on=None,
        actor="p-1",
        role="province_admin",
        at=at,
    )
    # Published Friday 20 November 2026: five working days end Friday 27 November.
    plan = NoticePlan(published_on=dt.date(2026, 11, 20), public_notice=FIVE_WORKING_DAYS)
    dates = await ActivityEnvironment().run(activities.plan_notice_with_step, plan, decision)
    assert dates.last_day == dt.date(2026, 11, 27)

    later = plan.model_copy(update={"published_on": dt.date(2026, 11, 23)})
    again = await ActivityEnvironment().run(activities.plan_notice_with_step, later, decision)
    assert again == dates
    async with awards_pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT step, detail FROM application_steps WHERE application_id = $1 AND seq = 1",
            uuid.UUID(start.application_id),
        )
        application = await connection.fetchrow(
            "SELECT stage, notice_last_day FROM applications WHERE id = $1",
            uuid.UUID(start.application_id),
        )
    assert [(r["step"], r["detail"]) for r in rows] == [
        ("decide", {"notice_last_day": "2026-11-27"})
    ]
    assert application["stage"] == "public_notice"
    assert application["notice_last_day"] == dt.date(2026, 11, 27)
