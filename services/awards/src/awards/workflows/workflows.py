"""The application workflow (ISSUE-10): city review → provincial review → decision → public
notice → designation. Deterministic: the clock is ``workflow.now()``, everything that touches
the database is an activity, and every human step is the ``take_step`` update, whose
validator refuses a wrong step (role, region, stage, payload) before it enters the history.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypedDict

from temporalio import workflow
from temporalio.common import (
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

with workflow.unsafe.imports_passed_through():
    from awards.domain.application import (
        ACTION_NAMES,
        FINAL_STAGES,
        WAITING_ON,
        Action,
        Situation,
        Stage,
        refusal,
    )
    from awards.domain.scoring import ScoreCardInvalid, check_card, result
    from awards.standing.types import DesignationStart
    from awards.workflows.activities import ApplicationActivities
    from awards.workflows.refusals import refused
    from awards.workflows.types import (
        ApplicationStart,
        ApplicationState,
        GrantRequest,
        NoticeDates,
        NoticePlan,
        PanelRequest,
        PanelResult,
        StepRecord,
        StepRequest,
        Submit,
    )
    from shared.i18n import Text, t
    from shared.programmes import CHINA_STANDARD_TIME

# workflow.patched() ids: a change to running applications is taken only by new histories.
DESIGNATION_LIFECYCLE = "designation-lifecycle"

PROGRAMME = SearchAttributeKey.for_keyword("ProgrammeId")
REGION = SearchAttributeKey.for_keyword("RegionCode")
CATEGORY = SearchAttributeKey.for_keyword("DemonstrationCategory")
STAGE = SearchAttributeKey.for_keyword("ApplicationStatus")
YEAR = SearchAttributeKey.for_int("ProgrammeYear")


class ActivityOptions(TypedDict):
    start_to_close_timeout: timedelta
    retry_policy: RetryPolicy


# Writes to our own database: retried until it is back (a short outage must not fail a round).
WRITE: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
    ),
}
# Waits on the province (a pool too small, a calendar year not loaded): retried hourly.
NEEDS_PROVINCE: ActivityOptions = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=5), maximum_interval=timedelta(hours=1)
    ),
}


def search_attributes_for(start: ApplicationStart) -> TypedSearchAttributes:
    """Set at start, so ``temporal workflow list`` finds an application by any of them."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(PROGRAMME, start.terms.programme_id),
            SearchAttributePair(YEAR, start.terms.year),
            SearchAttributePair(CATEGORY, start.terms.category),
            SearchAttributePair(REGION, start.applicant.region_code),
            SearchAttributePair(STAGE, Stage.city_review.value),
        ]
    )


class StepPayloadInvalid(ValueError):
    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def _require(condition: bool, message: Text) -> None:
    if not condition:
        raise StepPayloadInvalid(message)


def _check_payload(request: StepRequest, passed: bool | None) -> None:
    action = request.action
    named = ACTION_NAMES[action]
    if action in (Action.city_return, Action.city_reject, Action.stop):
        _require(bool(request.reason), t(f"“{named}”须写明理由", f"{action} needs a reason"))
    if action is Action.city_recommend:
        _require(
            request.rank is not None,
            t(
                "市级推荐须写明在推荐名单中的排序",
                "city_recommend needs the rank in the recommendation list",
            ),
        )
    if action in (Action.record_document_review, Action.record_site_visit):
        _require(
            request.passed is not None, t(f"“{named}”须写明是否通过", f"{action} needs passed")
        )
        _require(
            request.passed or bool(request.reason),
            t("审核未通过须写明理由", "a failed review needs a reason"),
        )
    if action is Action.schedule_site_visit:
        _require(
            request.visit_on is not None,
            t("安排实地考察须写明考察日期", "schedule_site_visit needs visit_on"),
        )
    if action is Action.score:
        _require(request.scores is not None, t("专家评分须附各项得分", "score needs scores"))
    if action is Action.decide:
        _require(
            request.approve is not None,
            t("认定决定须写明是否认定", "decide needs approve"),
        )
        _require(
            request.approve or bool(request.reason),
            t("不予认定须写明理由", "a rejection needs a reason"),
        )
        _require(
            not request.approve or passed is True,
            t("专家评审未通过，不能认定", "approval needs a passing evaluation"),
        )
    if action is Action.file_objection:
        _require(
            bool(request.objector_name and request.objector_contact and request.reason),
            t(
                "登记异议须写明异议人姓名、联系方式和异议内容（理由）",
                "an objection needs the objector's name, contact and the objection (reason)",
            ),
        )
    if action is Action.resolve_objection:
        _require(
            request.upheld is not None,
            t("处理异议须写明异议是否成立", "resolve_objection needs upheld"),
        )
        _require(bool(request.reason), t("处理异议须写明理由", "resolve_objection needs a reason"))


@workflow.defn(name="AwardsApplication")
class ApplicationWorkflow:
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
        self.panel: tuple[str, ...] = ()
        self.cards: dict[str, dict[str, Decimal]] = {}
        self.totals: dict[str, Decimal] = {}
        self.score: Decimal | None = None
        self.passed: bool | None = None
        self.recommend_for_national = start.terms.recommend_for_national
        self.notice_published_on: dt.date | None = None
        self.notice_last_day: dt.date | None = None
        self.notice_ends_at: dt.datetime | None = None
        self.notice_remaining: int | None = None
        self.designation_id: str | None = None
        self._stage_before: Stage | None = None

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
        self.designation_id = await workflow.execute_activity_method(
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
        if workflow.patched(DESIGNATION_LIFECYCLE):
            await self._start_designation_lifecycle()
        self._changed_now()

    async def _start_designation_lifecycle(self) -> None:
        """ISSUE-12: the designation's own long-running workflow (dynamic management) starts
        with it and outlives this one. Patched: applications designated before this change
        replay without it. An activity starts it (not a child: it must outlive its parent)."""
        assert self.designation_id is not None
        await workflow.execute_activity(
            "awards.start_designation_lifecycle",
            DesignationStart(
                designation_id=self.designation_id,
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
            _check_payload(request, self.passed)
            if request.action is Action.score:
                assert request.scores is not None
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

    # --- applying a step ---------------------------------------------------------------------

    def _changed_now(self) -> None:
        self.version += 1
        # Only where the starter set them (a server without our attributes, such as the
        # time-skipping test server, would fail the workflow task on an unknown attribute).
        if workflow.info().typed_search_attributes.get(STAGE) is not None:
            workflow.upsert_search_attributes([STAGE.value_set(self.stage.value)])

    def _today(self) -> dt.date:
        return workflow.now().astimezone(CHINA_STANDARD_TIME).date()

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
        self.seq += 1
        if by is not None:
            extra.update(
                actor_roles=by.actor.roles,
                actor_region=by.actor.region_code,
                request=by.request,
                stage_before=self._stage_before,
            )
        await workflow.execute_activity_method(
            ApplicationActivities.record_step,
            StepRecord(
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
            ),
            **WRITE,
        )

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
        elif action is Action.assign_experts:
            detail.update(await self._draw_panel(who.subject, None, None))
        elif action is Action.declare_conflict:
            detail.update(await self._draw_panel(who.subject, who.subject, request.reason))
        elif action is Action.score:
            assert request.scores is not None
            self.cards[who.subject] = dict(request.scores)
            self.totals[who.subject] = check_card(self.start.terms.indicator_system, request.scores)
            await workflow.execute_activity_method(
                ApplicationActivities.mark_scored,
                args=[self.start.application_id, who.subject],
                **WRITE,
            )
            if set(self.panel) <= set(self.totals):
                await self._record("score", actor=who.subject, role=who.role, by=request)
                await self._evaluate()
                return
        elif action is Action.decide:
            if request.recommend_for_national is not None:
                self.recommend_for_national = request.recommend_for_national
            if request.approve:
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

    async def _draw_panel(
        self, actor: str, leaving: str | None, reason: str | None
    ) -> dict[str, Any]:
        drawn: PanelResult = await workflow.execute_activity_method(
            ApplicationActivities.draw_panel,
            PanelRequest(
                application_id=self.start.application_id,
                size=self.start.terms.panel.size,
                region_code=self.start.applicant.region_code,
                entity_id=self.start.applicant.entity_id,
                seq=self.seq + 1,
                replace_expert_id=leaving,
                current_members=self.panel,
                conflict_reason=reason,
                actor=actor,
            ),
            **NEEDS_PROVINCE,
        )
        self.panel = drawn.members
        return {"panel": list(drawn.members), "replaced": [list(r) for r in drawn.replaced]}

    async def _evaluate(self) -> None:
        """All cards are in: only now are the scores shown (the result step carries them)."""
        outcome = result(self.totals, self.start.terms.panel)
        self.score, self.passed = outcome.score, outcome.passed
        self.stage = Stage.decision
        await self._record(
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
        return await workflow.execute_activity_method(
            ApplicationActivities.plan_notice, plan, **NEEDS_PROVINCE
        )

    async def _publish_notice(self) -> None:
        today = self._today()
        dates = await self._plan(
            NoticePlan(published_on=today, public_notice=self.start.terms.public_notice)
        )
        self.notice_published_on = today
        self.notice_last_day, self.notice_ends_at = dates.last_day, dates.ends_at
        self.stage = Stage.public_notice

    async def _pause_notice(self) -> None:
        assert self.notice_published_on is not None
        counted = await self._plan(
            NoticePlan(
                published_on=self.notice_published_on,
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
