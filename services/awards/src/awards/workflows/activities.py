"""Activities of the application and designation workflows: the only code of them that touches
the database or reads the programme files. Each calls a use case (``awards.handlers``) and
turns what the province must fix into a named failure Temporal retries.

Each is idempotent: steps and decisions carry the workflow's sequence number (written once),
the panel is drawn in an order fixed by the application id, the designation id derives from
the application, the designation's workflow id from the designation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from temporalio import activity
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

from awards.config import DEFAULT_EVENT_SOURCE
from awards.domain.experts import PanelShort
from awards.handlers import applications, calendar, designations, experts, standing
from awards.handlers.common import Pool
from awards.handlers.standing_group_commit import DecisionGroupCommit
from awards.workflows.types import (
    DESIGNATION_WORKFLOW,
    START_DESIGNATION_LIFECYCLE,
    ApplicationStart,
    CyclePlan,
    Decision,
    DecisionRequest,
    DesignationStart,
    GrantRequest,
    NoticeDates,
    NoticePlan,
    PanelRequest,
    PanelResult,
    StepRecord,
    designation_workflow_id,
)
from shared.programmes import Programme
from shared.working_days import CalendarMissing, WorkingDayCalendar


@contextlib.contextmanager
def _retried_while_panel_short() -> Iterator[None]:
    """The province must add experts to the pool; retrying later succeeds."""
    try:
        yield
    except PanelShort as exc:
        raise ApplicationError(str(exc), type="PanelShort") from exc


@contextlib.contextmanager
def _retried_while_calendar_missing() -> Iterator[None]:
    """Retried (hourly at most) until the province loads the year on the registry."""
    try:
        yield
    except CalendarMissing as exc:
        activity.logger.error("notice calendar: %s", exc)
        raise ApplicationError(str(exc), type="CalendarMissing") from exc


class ApplicationActivities:
    def __init__(
        self,
        pool: Pool,
        *,
        topic_prefix: str = "",
        event_source: str = DEFAULT_EVENT_SOURCE,
        calendar: WorkingDayCalendar | None = None,
    ) -> None:
        self.pool = pool
        self.topic_prefix = topic_prefix
        self.event_source = event_source
        self.calendar = calendar or WorkingDayCalendar()

    @activity.defn(name="awards.record_submission")
    async def record_submission(self, start: ApplicationStart) -> bool:
        at = dt.datetime.now(dt.UTC)  # written once: a retry finds the row and keeps its time
        return await applications.record_submission(
            self.pool, start, at=at, topic_prefix=self.topic_prefix, event_source=self.event_source
        )

    @activity.defn(name="awards.record_step")
    async def record_step(self, record: StepRecord) -> bool:
        return await applications.record_step(
            self.pool, record, topic_prefix=self.topic_prefix, event_source=self.event_source
        )

    @activity.defn(name="awards.record_steps")
    async def record_steps(self, records: list[StepRecord]) -> bool:
        """Several steps of one update (the last card and the evaluation's result), in order:
        each its own statement, each written once whatever a retry finds."""
        return await applications.record_steps(
            self.pool, records, topic_prefix=self.topic_prefix, event_source=self.event_source
        )

    @activity.defn(name="awards.draw_panel")
    async def draw_panel(self, request: PanelRequest) -> PanelResult:
        with _retried_while_panel_short():
            return await experts.draw_panel(self.pool, request)

    @activity.defn(name="awards.draw_panel_with_step")
    async def draw_panel_with_step(self, request: PanelRequest, record: StepRecord) -> PanelResult:
        """``draw_panel`` and the step that drew it (its detail the panel), in one transaction."""
        with _retried_while_panel_short():
            return await applications.draw_panel_with_step(
                self.pool,
                request,
                record,
                topic_prefix=self.topic_prefix,
                event_source=self.event_source,
            )

    @activity.defn(name="awards.mark_scored")
    async def mark_scored(self, application_id: str, expert_id: str) -> None:
        await experts.mark_scored(self.pool, application_id, expert_id)

    @activity.defn(name="awards.plan_notice")
    async def plan_notice(self, plan: NoticePlan) -> NoticeDates:
        """A year the calendar does not cover fails the attempt; it is retried (hourly at
        most) until the province loads the year on the registry and awards keeps it."""
        with _retried_while_calendar_missing():
            return await calendar.plan_notice(self.pool, self.calendar, plan)

    @activity.defn(name="awards.plan_notice_with_step")
    async def plan_notice_with_step(self, plan: NoticePlan, record: StepRecord) -> NoticeDates:
        """``plan_notice`` and the step that publishes the notice, its last day written in it;
        retried as ``plan_notice`` is while the calendar lacks a year."""
        with _retried_while_calendar_missing():
            return await calendar.plan_notice_with_step(
                self.pool,
                self.calendar,
                plan,
                record,
                topic_prefix=self.topic_prefix,
                event_source=self.event_source,
            )

    @activity.defn(name="awards.grant_designation")
    async def grant_designation(self, grant: GrantRequest) -> str:
        return await designations.grant_designation(
            self.pool, grant, topic_prefix=self.topic_prefix, event_source=self.event_source
        )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.record_submission,
            self.record_step,
            self.record_steps,
            self.draw_panel,
            self.draw_panel_with_step,
            self.mark_scored,
            self.plan_notice,
            self.plan_notice_with_step,
            self.grant_designation,
        ]


class DesignationActivities:
    def __init__(
        self,
        pool: Pool,
        programmes: Mapping[str, Programme],
        *,
        topic_prefix: str = "",
        event_source: str = DEFAULT_EVENT_SOURCE,
    ) -> None:
        self.pool = pool
        self.programmes = programmes
        self.topic_prefix = topic_prefix
        self.decisions = DecisionGroupCommit(
            pool, programmes, topic_prefix=topic_prefix, event_source=event_source
        )

    @activity.defn(name="awards.plan_cycle")
    async def plan_cycle(self, programme_id: str, year: int) -> CyclePlan:
        return standing.cycle_plan(self.programmes[programme_id], year)

    @activity.defn(name="awards.decide_standing")
    async def decide_standing(self, request: DecisionRequest) -> Decision:
        """Committed with the other decisions of this worker that arrive meanwhile."""
        return await self.decisions.decide(request)

    @activity.defn(name=START_DESIGNATION_LIFECYCLE)
    async def start_designation_lifecycle(self, start: DesignationStart) -> None:
        """Starts the designation's workflow once: its id names the designation, and a
        retried start finds it running (or finished) and leaves it. The first cycle's plan
        goes with the input (the workflow need not read it by another activity)."""
        start = standing.with_first_plan(start, self.programmes.get(start.programme_id))
        try:
            await activity.client().start_workflow(
                DESIGNATION_WORKFLOW,
                start,
                id=designation_workflow_id(start.designation_id),
                task_queue=activity.info().task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            pass  # it ran already (and ended): one designation, one lifecycle

    def all(self) -> list[Callable[..., Any]]:
        return [self.plan_cycle, self.decide_standing, self.start_designation_lifecycle]
