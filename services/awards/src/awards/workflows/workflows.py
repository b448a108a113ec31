"""The application workflow: city review → provincial review → decision → public notice →
designation. Deterministic: the clock is ``workflow.now()``, everything that touches the
database is an activity, and every human step is the ``take_step`` update, whose validator
refuses a wrong step (role, region, stage, payload) before it enters the history. How a step is
applied is ``awards.workflows.application_steps``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from awards.domain.application import (
        FINAL_STAGES,
        WAITING_ON,
        Action,
        Situation,
        Stage,
        refusal,
    )
    from awards.domain.scoring import ScoreCardInvalid, check_card
    from awards.workflows.activities import ApplicationActivities
    from awards.workflows.options import WRITE
    from awards.workflows.refusals import refused
    from awards.workflows.step_payloads import StepPayloadInvalid, check_payload
    from awards.workflows.types import (
        APPLICATION_WORKFLOW,
        STAGE,
        START_DESIGNATION_LIFECYCLE,
        ApplicationStart,
        ApplicationState,
        DesignationStart,
        GrantRequest,
        StepRequest,
        Submit,
    )

# Not passed through: its code is the workflow's, and the sandbox-checked run (below) must
# import it afresh, under the sandbox's rules, for those rules to reach it.
from awards.workflows.application_steps import ApplicationSteps

# workflow.patched() ids: a change to running applications is taken only by new histories.
DESIGNATION_LIFECYCLE = "designation-lifecycle"


# Not sandboxed, as the designation workflow is not (``awards.workflows.designation``): the
# sandbox builds a module namespace for every run it starts (one per application), re-enters its
# import hooks around every activation and reaches passed-through modules through restricted
# proxies; in the awards round benchmark that was ≈ 9 % of the worker's CPU, and each activation
# cost more through the sandbox besides.
# Determinism does not rest on the sandbox: this module and ``application_steps`` read time only
# through ``workflow.now()`` and everything else through activities; the replay test runs the
# recorded histories on the current code, with and without the sandbox, and
# ``tests/integration/awards/test_application_workflow.py`` runs the full round once more with
# the sandbox on (``sandbox_checked.py``), so a forbidden call fails a test.
@workflow.defn(name=APPLICATION_WORKFLOW, sandboxed=False)
class ApplicationWorkflow(ApplicationSteps):
    @workflow.init
    def __init__(self, start: ApplicationStart) -> None:
        self.start = start
        self.stage = Stage.city_review
        self.seq = 0
        self.version = 0
        self.submitted = False
        self.lock = asyncio.Lock()
        self.city_review_entry = 1
        self.overdue_entry = 0
        self.site_visit_scheduled = False
        self.panel = ()
        self.cards = {}
        self.totals = {}
        self.score = None
        self.passed = None
        self.recommend_for_national = start.terms.recommend_for_national
        self.notice_published_on = None
        self.notice_last_day = None
        self.notice_ends_at = None
        self.notice_remaining = None
        self.designation_id: str | None = None
        self._stage_before = None

    # --- the run: timers only; the steps come through updates -------------------------------

    @workflow.run
    async def run(self, start: ApplicationStart) -> ApplicationState:
        await workflow.execute_activity_method(
            ApplicationActivities.record_submission, start, **WRITE
        )
        self.submitted = True
        while self.stage not in FINAL_STAGES:
            if self.stage is Stage.city_review and self.overdue_entry != self.city_review_entry:
                await self._city_review_clock()
            elif self.stage is Stage.public_notice and self.notice_ends_at is not None:
                await self._notice_clock(self.notice_ends_at)
            else:
                await self._changed(None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state()

    async def _changed(self, timeout: timedelta | None) -> bool:
        seen = self.version
        try:
            await workflow.wait_condition(lambda: self.version != seen, timeout=timeout)
            return True
        except TimeoutError:
            return False

    async def _city_review_clock(self) -> None:
        """Past the deadline the review is overdue: say so once per review, and keep waiting."""
        remaining = self.start.terms.city_review_due_at - workflow.now()
        if remaining > timedelta(0) and await self._changed(remaining):
            return
        async with self.lock:
            if self.stage is not Stage.city_review:
                return
            self.overdue_entry = self.city_review_entry
            await self._record(
                "city_review_overdue",
                actor="awards",
                role=None,
                reason="the round's city review deadline has passed",
                overdue_due_at=self.start.terms.city_review_due_at,
            )

    async def _notice_clock(self, ends_at: dt.datetime) -> None:
        remaining = ends_at - workflow.now()
        if remaining > timedelta(0) and await self._changed(remaining):
            return
        async with self.lock:
            if self.stage is Stage.public_notice and self.notice_ends_at == ends_at:
                await self._designate()

    async def _designate(self) -> None:
        self.seq += 1
        self.stage = Stage.designated
        designation_id: str = await workflow.execute_activity_method(
            ApplicationActivities.grant_designation,
            GrantRequest(
                application_id=self.start.application_id,
                terms=self.start.terms,
                applicant=self.start.applicant,
                designated_on=self._today(),
                recommended_for_national=self.recommend_for_national,
                seq=self.seq,
                at=workflow.now(),
                actor="awards",
            ),
            **WRITE,
        )
        self.designation_id = designation_id
        if workflow.patched(DESIGNATION_LIFECYCLE):
            await self._start_designation_lifecycle(designation_id)
        self._changed_now()

    async def _start_designation_lifecycle(self, designation_id: str) -> None:
        """The designation's own long-running workflow (dynamic management) starts with it
        and outlives this one. Patched: applications designated before this change replay
        without it. An activity starts it (not a child: it must outlive its parent)."""
        await workflow.execute_activity(
            START_DESIGNATION_LIFECYCLE,
            DesignationStart(
                designation_id=designation_id,
                programme_id=self.start.terms.programme_id,
                category=self.start.terms.category,
                year=self._today().year,
            ),
            **WRITE,
        )

    # --- updates and queries -----------------------------------------------------------------

    @workflow.update
    async def submit(self, submit: Submit) -> ApplicationState:
        """The update of update-with-start: answers once the submission is recorded."""
        await workflow.wait_condition(lambda: self.submitted)
        return self.state()

    @workflow.update
    async def take_step(self, request: StepRequest) -> ApplicationState:
        async with self.lock:
            self._validate(request)  # again: another step may have run while this one queued
            await self._apply(request)
            self._changed_now()
            return self.state()

    @take_step.validator
    def _validate(self, request: StepRequest) -> None:
        situation = Situation(
            stage=self.stage,
            region_code=self.start.applicant.region_code,
            owner_enterprise_id=self.start.applicant.owner_enterprise_id,
            panel=self.panel,
            scored=frozenset(self.totals),
            site_visit_scheduled=self.site_visit_scheduled,
            evaluation_passed=self.passed,
        )
        refusal_of_step = refusal(request.action, request.actor.actor(), situation)
        if refusal_of_step is not None:
            raise refused(refusal_of_step.reason, refusal_of_step.kind)
        try:
            check_payload(request, self.passed)  # a score without scores is refused here
            if request.action is Action.score and request.scores is not None:
                check_card(self.start.terms.indicator_system, request.scores)
        except (StepPayloadInvalid, ScoreCardInvalid) as exc:
            raise refused(exc.text, "invalid") from exc

    @workflow.query
    def state(self) -> ApplicationState:
        return ApplicationState(
            application_id=self.start.application_id,
            stage=self.stage,
            waiting_on=WAITING_ON.get(self.stage),
            seq=self.seq,
            panel=self.panel,
            scored=tuple(sorted(self.totals)),
            score=self.score,
            passed=self.passed,
            notice_last_day=self.notice_last_day,
            designation_id=self.designation_id,
        )

    # --- a change: wakes the run's clocks, shows the stage ---------------------------------

    def _changed_now(self) -> None:
        self.version += 1
        # Only where the starter set them (a server without our attributes, such as the
        # time-skipping test server, would fail the workflow task on an unknown attribute).
        if workflow.info().typed_search_attributes.get(STAGE) is not None:
            workflow.upsert_search_attributes([STAGE.value_set(self.stage.value)])
