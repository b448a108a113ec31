"""How the application workflow applies a person's step: the stage it moves to, the panel
drawn, the evaluation's result once every card is in, the public notice planned, paused and
resumed, and the step written to the timeline by an activity.

A base of ``ApplicationWorkflow`` (``awards.workflows.workflows``), which holds the state and
the handlers; deterministic like it: the clock is ``workflow.now()``, everything that touches
the database is an activity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, cast

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from awards.domain.application import WAITING_ON, Action, Stage
    from awards.domain.scoring import check_card, result
    from awards.workflows.activities import ApplicationActivities
    from awards.workflows.options import NEEDS_PROVINCE, WRITE, ActivityOptions, local
    from awards.workflows.types import (
        ApplicationStart,
        NoticeDates,
        NoticePlan,
        PanelRequest,
        PanelResult,
        StepRecord,
        StepRequest,
    )
    from shared.china_time import CHINA

# workflow.patched() id: new histories run a step's activities (its write, the panel drawn, the
# notice planned, the card marked) as local activities, in the workflow task that takes the
# update: no activity task and no second workflow task through the server before the update
# can answer, which was most of a step's time in the awards round benchmark. Each activity is
# idempotent (steps carry the workflow's sequence number, the panel is drawn in a fixed order),
# so a local retry after a worker crash is as safe as the server's. Histories recorded before
# keep the regular activities (the first step replayed decides, for the whole run).
LOCAL_STEP_ACTIVITIES = "application-local-step-activities"
# workflow.patched() id: new histories mark an expert's seat scored in the score step's own
# write (``StepRecord.scored_by``, one transaction) instead of a ``mark_scored`` activity before
# it: one local activity, its round trip and its marker less per card. Histories recorded
# before keep the separate activity (the first score replayed decides, for the whole run).
SCORE_WITH_STEP = "application-score-with-step"
# workflow.patched() id: new histories write the last card's step and the evaluation's result
# with one local activity (``record_steps``) instead of one each: an activity, its round trip
# through the activation threads and its marker less per application. Histories recorded before
# keep the two writes (the last card replayed decides).
RESULT_WITH_LAST_CARD = "application-result-with-last-card"
# workflow.patched() id: new histories draw a panel (assign_experts, declare_conflict) and write
# the step that drew it with one local activity (``draw_panel_with_step``, one transaction)
# instead of two. Histories recorded before keep the two (the first draw replayed decides).
PANEL_WITH_STEP = "application-panel-with-step"
# workflow.patched() id: new histories plan an approved decision's public notice and write the
# decision's step (the notice's last day in it) with one local activity
# (``plan_notice_with_step``) instead of two: the decide step's second activity, its round trip
# through the activation threads and its marker. Histories recorded before keep the two (the
# first approval replayed decides).
NOTICE_WITH_STEP = "application-notice-with-step"


class ApplicationSteps:
    """The state the steps change (set by ``ApplicationWorkflow.__init__``)."""

    start: ApplicationStart
    stage: Stage
    seq: int
    city_review_entry: int
    site_visit_scheduled: bool
    panel: tuple[str, ...]
    cards: dict[str, dict[str, Decimal]]
    totals: dict[str, Decimal]
    score: Decimal | None
    passed: bool | None
    recommend_for_national: bool
    notice_published_on: dt.date | None
    notice_last_day: dt.date | None
    notice_ends_at: dt.datetime | None
    notice_remaining: int | None
    _stage_before: Stage | None

    def _today(self) -> dt.date:
        return workflow.now().astimezone(CHINA).date()

    async def _record(
        self,
        step: str,
        *,
        actor: str,
        role: str | None,
        reason: str | None = None,
        by: StepRequest | None = None,
        **extra: Any,
    ) -> None:
        record = self._step(step, actor=actor, role=role, reason=reason, by=by, **extra)
        await self._activity(ApplicationActivities.record_step, WRITE, record)

    def _requested_step(self, request: StepRequest) -> StepRecord:
        """The step a request makes, by its caller, its detail left for the activity that
        writes it to fill in."""
        who = request.actor
        return self._step(
            str(request.action), actor=who.subject, role=who.role, reason=request.reason,
            by=request, detail={},
        )  # fmt: skip

    def _step(
        self,
        step: str,
        *,
        actor: str,
        role: str | None,
        reason: str | None = None,
        by: StepRequest | None = None,
        **extra: Any,
    ) -> StepRecord:
        """The next step of the timeline, numbered, at the stage the workflow is in now."""
        self.seq += 1
        if by is not None:
            extra.update(
                actor_roles=by.actor.roles,
                actor_region=by.actor.region_code,
                request=by.request,
                stage_before=self._stage_before,
            )
        return StepRecord(
            application_id=self.start.application_id,
            programme_id=self.start.terms.programme_id,
            region_code=self.start.applicant.region_code,
            seq=self.seq,
            step=step,
            stage_after=self.stage,
            waiting_on=WAITING_ON.get(self.stage),
            actor=actor,
            role=role,
            reason=reason,
            at=workflow.now(),
            **extra,
        )

    async def _activity(
        self, method: Callable[..., Awaitable[Any]], options: ActivityOptions, *args: Any
    ) -> Any:
        if workflow.patched(LOCAL_STEP_ACTIVITIES):
            return await workflow.execute_local_activity_method(method, args=args, **local(options))
        return await workflow.execute_activity_method(method, args=args, **options)

    async def _apply(self, request: StepRequest) -> None:
        action, who = request.action, request.actor
        self._stage_before = self.stage
        detail: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        if action is Action.resubmit:
            self.stage = Stage.city_review
            self.city_review_entry += 1
            extra["materials"] = request.materials
        elif action is Action.city_recommend:
            self.stage = Stage.document_review
            extra["city_rank"] = request.rank
        elif action is Action.city_return:
            self.stage = Stage.returned
        elif action is Action.city_reject:
            self.stage = Stage.rejected
        elif action is Action.record_document_review:
            self.stage = Stage.site_visit if request.passed else Stage.rejected
            detail["findings"] = [f.model_dump() for f in request.findings]
        elif action is Action.schedule_site_visit:
            self.site_visit_scheduled = True
            detail["visit_on"] = str(request.visit_on)
        elif action is Action.record_site_visit:
            self.stage = Stage.expert_evaluation if request.passed else Stage.rejected
        elif action is Action.assign_experts or action is Action.declare_conflict:
            leaving = who.subject if action is Action.declare_conflict else None
            reason = request.reason if leaving is not None else None
            if workflow.patched(PANEL_WITH_STEP):
                await self._draw_panel_with_step(request, leaving, reason)
                return
            detail.update(await self._draw_panel(who.subject, leaving, reason))
        elif action is Action.score:
            scores = cast(dict[str, Decimal], request.scores)  # the validator required them
            self.cards[who.subject] = dict(scores)
            self.totals[who.subject] = check_card(self.start.terms.indicator_system, scores)
            if workflow.patched(SCORE_WITH_STEP):
                extra["scored_by"] = who.subject
            else:
                await self._activity(
                    ApplicationActivities.mark_scored, WRITE, self.start.application_id, who.subject
                )
            if set(self.panel) <= set(self.totals):
                if workflow.patched(RESULT_WITH_LAST_CARD):
                    card = self._step(
                        "score", actor=who.subject, role=who.role, by=request, **extra
                    )
                    await self._activity(
                        ApplicationActivities.record_steps, WRITE, [card, self._result()]
                    )
                    return
                await self._record("score", actor=who.subject, role=who.role, by=request, **extra)
                await self._evaluate()
                return
        elif action is Action.decide:
            if request.recommend_for_national is not None:
                self.recommend_for_national = request.recommend_for_national
            if request.approve:
                if workflow.patched(NOTICE_WITH_STEP):
                    await self._publish_notice_with_step(request)
                    return
                await self._publish_notice()
                detail["notice_last_day"] = str(self.notice_last_day)
                extra["notice_last_day"] = self.notice_last_day
            else:
                self.stage = Stage.rejected
        elif action is Action.file_objection:
            await self._pause_notice()
            detail = {
                "objector_name": request.objector_name,
                "objector_contact": request.objector_contact,
            }
        elif action is Action.resolve_objection:
            if request.upheld:
                self.stage = Stage.rejected
            else:
                await self._resume_notice()
                detail["notice_last_day"] = str(self.notice_last_day)
                extra["notice_last_day"] = self.notice_last_day
            detail["upheld"] = request.upheld
        elif action is Action.stop:
            self.stage = Stage.stopped
        await self._record(
            str(action),
            actor=who.subject,
            role=who.role,
            reason=request.reason,
            detail=detail,
            by=request,
            **extra,
        )

    def _panel_request(self, actor: str, leaving: str | None, reason: str | None) -> PanelRequest:
        return PanelRequest(
            application_id=self.start.application_id,
            size=self.start.terms.panel.size,
            region_code=self.start.applicant.region_code,
            entity_id=self.start.applicant.entity_id,
            seq=self.seq + 1,
            replace_expert_id=leaving,
            current_members=self.panel,
            conflict_reason=reason,
            actor=actor,
        )

    async def _draw_panel(
        self, actor: str, leaving: str | None, reason: str | None
    ) -> dict[str, Any]:
        drawn: PanelResult = await self._activity(
            ApplicationActivities.draw_panel,
            NEEDS_PROVINCE,
            self._panel_request(actor, leaving, reason),
        )
        self.panel = drawn.members
        return drawn.detail()

    async def _draw_panel_with_step(
        self, request: StepRequest, leaving: str | None, reason: str | None
    ) -> None:
        """The panel and its step by one activity: the step as ``_record`` writes it, its
        detail (the panel) filled in by the activity once drawn."""
        who = request.actor
        panel = self._panel_request(who.subject, leaving, reason)
        step = self._requested_step(request)
        drawn: PanelResult = await self._activity(
            ApplicationActivities.draw_panel_with_step, NEEDS_PROVINCE, panel, step
        )
        self.panel = drawn.members

    async def _evaluate(self) -> None:
        """All cards are in: only now are the scores shown (the result step carries them)."""
        await self._activity(ApplicationActivities.record_step, WRITE, self._result())

    def _result(self) -> StepRecord:
        """The evaluation's result, the stage moved to the decision."""
        outcome = result(self.totals, self.start.terms.panel)
        self.score, self.passed = outcome.score, outcome.passed
        self.stage = Stage.decision
        return self._step(
            "evaluation_result",
            actor="awards",
            role=None,
            reason=f"aggregate {outcome.score} against pass mark {self.start.terms.panel.pass_mark}",
            detail={
                "totals": {k: str(v) for k, v in self.totals.items()},
                "cards": {
                    k: {i: str(s) for i, s in card.items()} for k, card in self.cards.items()
                },
            },
            score=outcome.score,
            passed=outcome.passed,
        )

    async def _plan(self, plan: NoticePlan) -> NoticeDates:
        dates: NoticeDates = await self._activity(
            ApplicationActivities.plan_notice, NEEDS_PROVINCE, plan
        )
        return dates

    async def _publish_notice(self) -> None:
        today = self._today()
        dates = await self._plan(
            NoticePlan(published_on=today, public_notice=self.start.terms.public_notice)
        )
        self.notice_published_on = today
        self.notice_last_day, self.notice_ends_at = dates.last_day, dates.ends_at
        self.stage = Stage.public_notice

    async def _publish_notice_with_step(self, request: StepRequest) -> None:
        """The notice planned and the decision's step written by one activity: the step as
        ``_record`` writes it, at the notice's stage, its last day filled in by the activity."""
        today = self._today()
        step = self._requested_step(request).model_copy(
            update={
                "stage_after": Stage.public_notice,
                "waiting_on": WAITING_ON.get(Stage.public_notice),
            }
        )
        plan = NoticePlan(published_on=today, public_notice=self.start.terms.public_notice)
        dates: NoticeDates = await self._activity(
            ApplicationActivities.plan_notice_with_step, NEEDS_PROVINCE, plan, step
        )
        self.notice_published_on = today
        self.notice_last_day, self.notice_ends_at = dates.last_day, dates.ends_at
        self.stage = Stage.public_notice

    async def _pause_notice(self) -> None:
        # An objection is filed only during the notice, which set its day of publication.
        published_on = cast(dt.date, self.notice_published_on)
        counted = await self._plan(
            NoticePlan(
                published_on=published_on,
                public_notice=self.start.terms.public_notice,
                kind="resume",
                objection_on=self._today(),
            )
        )
        spent = counted.counted_before_objection or 0
        self.notice_remaining = max(0, self.start.terms.public_notice.length - spent)
        self.notice_ends_at = None
        self.stage = Stage.objection

    async def _resume_notice(self) -> None:
        dates = await self._plan(
            NoticePlan(
                published_on=self._today(),
                public_notice=self.start.terms.public_notice,
                kind="resume",
                remaining=self.notice_remaining or 0,
            )
        )
        self.notice_last_day, self.notice_ends_at = dates.last_day, dates.ends_at
        self.stage = Stage.public_notice
