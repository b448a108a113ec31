"""Activities of the designation workflow: the only code of it that reads the programme files
or touches the database. Each decision is idempotent (numbered by the workflow)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import asyncpg
from temporalio import activity
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from awards.config import DEFAULT_EVENT_SOURCE
from awards.standing import handlers
from awards.standing.group_commit import DecisionGroupCommit
from awards.standing.types import (
    CyclePlan,
    Decision,
    DecisionRequest,
    DesignationStart,
    designation_workflow_id,
)
from shared.programmes import Programme


class DesignationActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
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
        return handlers.cycle_plan(self.programmes[programme_id], year)

    @activity.defn(name="awards.decide_standing")
    async def decide_standing(self, request: DecisionRequest) -> Decision:
        """Committed with the other decisions of this worker that arrive meanwhile."""
        return await self.decisions.decide(request)

    @activity.defn(name="awards.start_designation_lifecycle")
    async def start_designation_lifecycle(self, start: DesignationStart) -> None:
        """Starts the designation's workflow once: its id names the designation, and a
        retried start finds it running (or finished) and leaves it. The first cycle's plan
        goes with the input (the workflow need not read it by another activity)."""
        start = handlers.with_first_plan(start, self.programmes.get(start.programme_id))
        try:
            await activity.client().start_workflow(
                "AwardsDesignation",
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
