"""The designation workflow (dynamic management, docs/awards.md): one per designation, for years.

One yearly cycle per run: wait until the year's reporting window locks (a durable timer at
its China-time instant) or until the ``evaluate`` signal for that year arrives (sent when
``submissions.window.locked`` is consumed), evaluate, and on a warning wait for the
rectification deadline and judge again. Then ``continue_as_new`` with the next year. A major
violation (the ``report_violation`` update) revokes at once; a revoked designation waits for
the province's ``reinstate`` update. Deterministic: clock from ``workflow.now()``, every read
of the programme file or the database in an activity.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from awards.domain.standing import Standing
    from awards.workflows.activities import DesignationActivities
    from awards.workflows.options import WRITE
    from awards.workflows.refusals import refused
    from awards.workflows.types import (
        DESIGNATION_WORKFLOW,
        CyclePlan,
        Decision,
        DecisionKind,
        DecisionRequest,
        DesignationStart,
        DesignationState,
        Reinstatement,
        ViolationReport,
    )
    from shared.china_time import CHINA
    from shared.i18n import Text, t

# workflow.patched() id: new histories run the plan and the decision as local activities (in the
# workflow task that needs them: no activity task and no extra workflow task through the server,
# which at 10,000 designations evaluated at once was most of the cost in the designations
# benchmark). Both stay idempotent (the decision is numbered), so a local retry is as safe as a
# server one.
LOCAL_ACTIVITIES = "designation-local-activities"


# Not sandboxed (a departure from the other workflows, for the designations benchmark): the
# sandbox builds a fresh module namespace for every run it starts or rebuilds, and with one run
# per designation and year, 10,000 designations evaluated at once spent most of the worker's
# time there (and ~100 KiB of cache per waiting run). Determinism does not rest on the sandbox: this module
# reads time only through ``workflow.now()`` and everything else through activities; the
# replay test runs recorded histories on the current code, and
# ``tests/integration/awards/test_designation_workflow.py`` runs the three-cycle scenario once
# more with the sandbox on (``sandbox_checked.py``), so a forbidden call fails a test.
# The designation's refusals (the English is what they always said).
PROVINCE_DECIDES = t("由省商务厅决定", "the province decides")
ALREADY_REVOKED = t("示范资格已被撤销", "already revoked")
NOT_REVOKED = t("示范资格未被撤销", "not revoked")


@workflow.defn(name=DESIGNATION_WORKFLOW, sandboxed=False)
class DesignationWorkflow:
    @workflow.init
    def __init__(self, start: DesignationStart) -> None:
        self.start = start
        self.year = start.year
        self.standing = start.standing
        self.seq = start.seq
        self.evaluated = start.evaluated
        self.triggered_year = start.triggered_year
        self.rectify_by: dt.date | None = None
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: DesignationStart) -> DesignationState:
        while True:
            if self.standing is Standing.revoked:
                await workflow.wait_condition(
                    lambda: self.standing is not Standing.revoked
                    or workflow.info().is_continue_as_new_suggested()
                )
                if self.standing is Standing.revoked:
                    self._continue_as_new(self.year)
                continue
            if not self.evaluated:
                plan = await self._plan()
                if plan.programme_over:
                    return self.state()  # the programme has no more reports to judge
                if plan.evaluate_at is not None:
                    await self._cycle(plan, plan.evaluate_at)
                    if self.standing is Standing.revoked:
                        continue
            await workflow.wait_condition(workflow.all_handlers_finished)
            self._continue_as_new(self.year + 1)

    async def _cycle(self, plan: CyclePlan, evaluate_at: dt.datetime) -> None:
        await self._until(evaluate_at, lambda: self.triggered_year >= self.year)
        async with self.lock:
            if self.standing is Standing.revoked:
                return  # a violation came first: nothing left to evaluate
            decision = await self._decide("evaluate", plan)
            self.evaluated = True
        # A warning names its rectification deadline (awards.domain.standing.rectify_by).
        if decision.standing is not Standing.warning or decision.rectify_by is None:
            return
        deadline = dt.datetime.combine(
            decision.rectify_by + timedelta(days=1), dt.time(), tzinfo=CHINA
        )
        await self._until(deadline, lambda: False)
        async with self.lock:
            if self.standing is Standing.warning:
                await self._decide("re_evaluate", plan)

    async def _plan(self) -> CyclePlan:
        """The cycle's plan: the one the starter took with the first run's input, else read
        from the programme file by an activity (each later run, and runs started before)."""
        if self.start.plan is not None and self.start.plan.year == self.year:
            return self.start.plan
        plan: CyclePlan = await self._activity(
            DesignationActivities.plan_cycle, self.start.programme_id, self.year
        )
        return plan

    async def _until(self, instant: dt.datetime, early: Callable[[], bool]) -> None:
        """A durable timer to ``instant`` (China time), cut short by ``early`` or a revocation."""
        remaining = instant - workflow.now()
        if remaining <= timedelta(0) or early():
            return
        try:
            await workflow.wait_condition(
                lambda: early() or self.standing is Standing.revoked, timeout=remaining
            )
        except TimeoutError:
            pass

    async def _decide(
        self,
        kind: DecisionKind,
        plan: CyclePlan | None = None,
        **fields: object,
    ) -> Decision:
        self.seq += 1
        decision: Decision = await self._activity(
            DesignationActivities.decide_standing,
            DecisionRequest.model_validate(
                {
                    "designation_id": self.start.designation_id,
                    "kind": kind,
                    "year": self.year,
                    "seq": self.seq,
                    "at": workflow.now(),
                    "grace_until": plan.grace_until if plan else None,
                    "rectification_days": plan.rectification_days if plan else 90,
                    "window_id": plan.window_id if plan else None,
                    **fields,
                }
            ),
        )
        self.standing = decision.standing
        self.rectify_by = decision.rectify_by
        return decision

    async def _activity(self, method: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        if workflow.patched(LOCAL_ACTIVITIES):
            return await workflow.execute_local_activity_method(method, args=args, **WRITE)
        return await workflow.execute_activity_method(method, args=args, **WRITE)

    def _continue_as_new(self, year: int) -> None:
        workflow.continue_as_new(
            DesignationStart(
                designation_id=self.start.designation_id,
                programme_id=self.start.programme_id,
                category=self.start.category,
                year=year,
                standing=self.standing,
                seq=self.seq,
                evaluated=self.evaluated if year == self.year else False,
                triggered_year=self.triggered_year,
            )
        )

    # --- signals, updates, queries -------------------------------------------------------------

    @workflow.signal
    def evaluate(self, year: int) -> None:
        """The year's window has locked: evaluate now rather than at the timer."""
        self.triggered_year = max(self.triggered_year, year)

    @workflow.update
    async def report_violation(self, report: ViolationReport) -> DesignationState:
        async with self.lock:
            self._refuse_unless(self.standing is not Standing.revoked, ALREADY_REVOKED)
            await self._decide(
                "violation",
                actor=report.actor,
                request=report.request,
                reason=report.reason,
                evidence=report.evidence,
                legal_basis=report.legal_basis,
            )
            return self.state()

    @report_violation.validator
    def _may_revoke(self, report: ViolationReport) -> None:
        # The province (REST) or a credit platform's blocking record (awards.handlers.credit).
        self._refuse_unless(
            bool({"province_admin", "integrator"} & set(report.actor.roles)),
            PROVINCE_DECIDES,
        )
        self._refuse_unless(self.standing is not Standing.revoked, ALREADY_REVOKED)

    @workflow.update
    async def reinstate(self, reinstatement: Reinstatement) -> DesignationState:
        async with self.lock:
            self._refuse_unless(self.standing is Standing.revoked, NOT_REVOKED)
            await self._decide(
                "reinstate",
                actor=reinstatement.actor,
                request=reinstatement.request,
                reason=reinstatement.reason,
            )
            return self.state()

    @reinstate.validator
    def _may_reinstate(self, reinstatement: Reinstatement) -> None:
        self._refuse_unless("province_admin" in reinstatement.actor.roles, PROVINCE_DECIDES)
        self._refuse_unless(self.standing is Standing.revoked, NOT_REVOKED)

    @staticmethod
    def _refuse_unless(condition: bool, reason: Text) -> None:
        if not condition:
            kind = "forbidden" if reason is PROVINCE_DECIDES else "conflict"
            raise refused(reason, kind)

    @workflow.query
    def state(self) -> DesignationState:
        return DesignationState(
            designation_id=self.start.designation_id,
            year=self.year,
            standing=self.standing,
            seq=self.seq,
            rectify_by=self.rectify_by,
        )
