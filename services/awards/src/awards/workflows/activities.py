"""Activities of the application workflow: the only code of it that touches the database.

Each is idempotent: steps carry the workflow's sequence number (written once), the panel is
drawn in an order fixed by the application id, the designation id derives from the
application. Each writes its state and its events in one transaction (the outbox).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from awards import handlers
from awards.config import DEFAULT_EVENT_SOURCE
from awards.db import queries, repository
from awards.domain.calendar import CalendarYearNotCovered
from awards.domain.experts import Panel as DrawnPanel
from awards.domain.experts import PanelShort, Replacement, assign_panel, replace_member
from awards.domain.notice import days_counted, end_instant, notice_last_day, resumed_last_day
from awards.workflows.types import (
    ApplicationStart,
    GrantRequest,
    NoticeDates,
    NoticePlan,
    PanelRequest,
    PanelResult,
    StepRecord,
)


class ApplicationActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        topic_prefix: str = "",
        event_source: str = DEFAULT_EVENT_SOURCE,
    ) -> None:
        self.pool = pool
        self.topic_prefix = topic_prefix
        self.event_source = event_source

    @activity.defn(name="awards.record_submission")
    async def record_submission(self, start: ApplicationStart) -> bool:
        at = dt.datetime.now(dt.UTC)  # written once: a retry finds the row and keeps its time
        async with self.pool.acquire() as connection, connection.transaction():
            return await handlers.record_submission(
                connection,
                start,
                at=at,
                topic_prefix=self.topic_prefix,
                event_source=self.event_source,
            )

    @activity.defn(name="awards.record_step")
    async def record_step(self, record: StepRecord) -> bool:
        async with self.pool.acquire() as connection, connection.transaction():
            return await handlers.record_step(
                connection, record, topic_prefix=self.topic_prefix, event_source=self.event_source
            )

    @activity.defn(name="awards.draw_panel")
    async def draw_panel(self, request: PanelRequest) -> PanelResult:
        application_id = uuid.UUID(request.application_id)
        async with self.pool.acquire() as connection, connection.transaction():
            pool = await repository.expert_pool(connection)
            try:
                if request.replace_expert_id is None:
                    panel = assign_panel(
                        pool,
                        size=request.size,
                        application_id=request.application_id,
                        applicant_region=request.region_code,
                        applicant_entity_id=request.entity_id,
                    )
                else:
                    seated = await repository.panel(connection, application_id)
                    replaced = tuple(
                        (r["expert_id"], r["conflict"] or "") for r in seated if not r["seated"]
                    )
                    panel = replace_member(
                        _as_panel(request.current_members, replaced),
                        pool,
                        expert_id=request.replace_expert_id,
                        reason=request.conflict_reason or "declared_relation",
                        application_id=request.application_id,
                        applicant_region=request.region_code,
                        applicant_entity_id=request.entity_id,
                    )
            except PanelShort as exc:
                # The province must add experts to the pool; retrying later succeeds.
                raise ApplicationError(str(exc), type="PanelShort") from exc
            for replacement in panel.replacements:
                await connection.execute(
                    queries.UNSEAT_EXPERT, application_id, replacement.expert_id, replacement.reason
                )
            for member in panel.members:
                await connection.execute(queries.SEAT_EXPERT, application_id, member)
        return PanelResult(
            members=panel.members,
            replaced=tuple((r.expert_id, r.reason) for r in panel.replacements),
        )

    @activity.defn(name="awards.mark_scored")
    async def mark_scored(self, application_id: str, expert_id: str) -> None:
        async with self.pool.acquire() as connection:
            await connection.execute(queries.MARK_SCORED, uuid.UUID(application_id), expert_id)

    @activity.defn(name="awards.plan_notice")
    async def plan_notice(self, plan: NoticePlan) -> NoticeDates:
        """The notice's last day on China's working-day calendar (loaded years first). A year
        neither covers fails the attempt; it is retried until the province loads the year."""
        async with self.pool.acquire() as connection:
            calendar = await repository.working_calendar(connection)
        try:
            if plan.kind == "start":
                last = notice_last_day(plan.published_on, plan.public_notice, calendar)
                return NoticeDates(last_day=last, ends_at=end_instant(last))
            if plan.remaining is None:
                assert plan.objection_on is not None
                counted = days_counted(
                    plan.published_on, plan.objection_on, plan.public_notice, calendar
                )
                return NoticeDates(
                    last_day=plan.published_on,
                    ends_at=end_instant(plan.published_on),
                    counted_before_objection=counted,
                )
            last = resumed_last_day(plan.published_on, plan.remaining, plan.public_notice, calendar)
            return NoticeDates(last_day=last, ends_at=end_instant(last))
        except CalendarYearNotCovered as exc:
            activity.logger.error("notice calendar: %s", exc)
            raise ApplicationError(str(exc), type="CalendarYearNotCovered") from exc

    @activity.defn(name="awards.grant_designation")
    async def grant_designation(self, grant: GrantRequest) -> str:
        async with self.pool.acquire() as connection, connection.transaction():
            return await handlers.grant_designation(
                connection, grant, topic_prefix=self.topic_prefix, event_source=self.event_source
            )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.record_submission,
            self.record_step,
            self.draw_panel,
            self.mark_scored,
            self.plan_notice,
            self.grant_designation,
        ]


def _as_panel(members: tuple[str, ...], replaced: tuple[tuple[str, str], ...]) -> DrawnPanel:
    return DrawnPanel(
        members=members, replacements=tuple(Replacement(e, why, None) for e, why in replaced)
    )
