"""Names, ids and the inputs and outputs (pydantic, one per call) of the application and
designation workflows and their activities: what the handlers may know of the workflows.

The application workflow carries a snapshot of the round's terms taken at submission
(``Terms``), so a later edit of the programme file never changes a running application's rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from awards.domain.application import Action, Actor, Stage
from awards.domain.standing import Standing
from shared.programmes.awarding import ExpertPanel, PublicNotice
from shared.programmes.sections import IndicatorSystem
from shared.temporal import workflow_id

TASK_QUEUE = "awards-applications"

# The names running workflows and their histories know (the updates and the signal are named
# after their methods; tests/unit/awards/test_workflow_names.py holds the two together): the
# handlers reach the workflows by them without importing workflow code.
APPLICATION_WORKFLOW = "AwardsApplication"
SUBMIT = "submit"
TAKE_STEP = "take_step"
DESIGNATION_WORKFLOW = "AwardsDesignation"
EVALUATE = "evaluate"
REPORT_VIOLATION = "report_violation"
REINSTATE = "reinstate"
START_DESIGNATION_LIFECYCLE = "awards.start_designation_lifecycle"

PROGRAMME = SearchAttributeKey.for_keyword("ProgrammeId")
REGION = SearchAttributeKey.for_keyword("RegionCode")
CATEGORY = SearchAttributeKey.for_keyword("DemonstrationCategory")
STAGE = SearchAttributeKey.for_keyword("ApplicationStatus")
YEAR = SearchAttributeKey.for_int("ProgrammeYear")


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def workflow_id_for(application_id: str) -> str:
    """One workflow per application, named after it: a retried start reaches the same one."""
    return workflow_id("awards", "application", application_id)


def designation_workflow_id(designation_id: str) -> str:
    """One workflow per designation, named after it."""
    return workflow_id("awards", "designation", designation_id)


class RequestData(Model):
    """The HTTP request behind a step, for its audit record (written later, by an activity)."""

    request_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None


class ActorData(Model):
    subject: str
    roles: tuple[str, ...]
    region_code: str | None = None
    enterprise_ids: tuple[str, ...] = ()

    def actor(self) -> Actor:
        return Actor(
            subject=self.subject,
            roles=frozenset(self.roles),
            region_code=self.region_code,
            enterprise_ids=frozenset(self.enterprise_ids),
        )

    @property
    def role(self) -> str:
        return self.roles[0] if self.roles else ""


class Terms(Model):
    """The round's rules, as the programme file said them at submission."""

    programme_id: str
    year: int
    category: str
    title: str
    city_review_due_at: dt.datetime
    panel: ExpertPanel
    indicator_system: IndicatorSystem
    public_notice: PublicNotice
    legal_basis: str
    recommend_for_national: bool


class Applicant(Model):
    entity_type: str
    entity_id: str
    entity_name: str
    region_code: str
    owner_enterprise_id: str | None = None


class ApplicationStart(Model):
    application_id: str
    terms: Terms
    applicant: Applicant
    submitted_by: ActorData
    materials: dict[str, Any] = Field(default_factory=dict)
    request: RequestData | None = None


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


class Submit(Model):
    """The update that starts (or reaches) the workflow: the submission itself."""

    application_id: str


class Finding(Model):
    material: str
    ok: bool
    note: str | None = None


class StepRequest(Model):
    """One human step. Which fields are required depends on ``action`` (see the validator)."""

    action: Action
    actor: ActorData
    reason: str | None = Field(default=None, max_length=2000)
    rank: int | None = Field(default=None, ge=1, description="city_recommend: 推荐汇总表 rank")
    materials: dict[str, Any] | None = None
    findings: tuple[Finding, ...] = ()
    passed: bool | None = None
    visit_on: dt.date | None = None
    scores: dict[str, Decimal] | None = None
    approve: bool | None = None
    recommend_for_national: bool | None = None
    objector_name: str | None = Field(default=None, max_length=200)
    objector_contact: str | None = Field(default=None, max_length=200)
    upheld: bool | None = None
    request: RequestData | None = None


class ApplicationState(Model):
    application_id: str
    stage: Stage
    waiting_on: str | None
    seq: int
    panel: tuple[str, ...] = ()
    scored: tuple[str, ...] = ()
    score: Decimal | None = None
    passed: bool | None = None
    notice_last_day: dt.date | None = None
    designation_id: str | None = None


# --- activities ------------------------------------------------------------------------------


class StepRecord(Model):
    application_id: str
    programme_id: str
    region_code: str
    seq: int
    step: str
    stage_after: Stage
    waiting_on: str | None
    actor: str
    role: str | None
    reason: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    at: dt.datetime
    actor_roles: tuple[str, ...] = ()
    actor_region: str | None = None
    stage_before: Stage | None = None
    request: RequestData | None = None
    materials: dict[str, Any] | None = None
    city_rank: int | None = None
    score: Decimal | None = None
    passed: bool | None = None
    notice_last_day: dt.date | None = None
    overdue_due_at: dt.datetime | None = None
    # A score step: the expert whose card it records; their seat is marked scored with the step
    # (histories from before took ``mark_scored`` as an activity of its own, and leave it None).
    scored_by: str | None = None


class PanelRequest(Model):
    application_id: str
    size: int
    region_code: str
    entity_id: str
    seq: int
    replace_expert_id: str | None = None
    current_members: tuple[str, ...] = ()
    conflict_reason: str | None = None
    actor: str


class PanelResult(Model):
    members: tuple[str, ...]
    replaced: tuple[tuple[str, str], ...] = ()

    def detail(self) -> dict[str, Any]:
        """What the step that drew the panel says of it (``StepRecord.detail``)."""
        return {"panel": list(self.members), "replaced": [list(r) for r in self.replaced]}


class NoticePlan(Model):
    published_on: dt.date
    public_notice: PublicNotice
    kind: Literal["start", "resume"] = "start"
    remaining: int | None = None
    objection_on: dt.date | None = None


class NoticeDates(Model):
    last_day: dt.date
    ends_at: dt.datetime
    counted_before_objection: int | None = None


class GrantRequest(Model):
    application_id: str
    terms: Terms
    applicant: Applicant
    designated_on: dt.date
    recommended_for_national: bool
    seq: int
    at: dt.datetime
    actor: str


# --- the designation workflow (dynamic management) -------------------------------------------


class CyclePlan(Model):
    """The programme's schedule for one reporting year, taken from its file at the cycle's
    start (an edited file applies from the next cycle). ``None`` fields: no window that year."""

    year: int
    evaluate_at: dt.datetime | None = Field(description="the window locks: evaluation is due")
    grace_until: dt.datetime | None = None
    rectification_days: int
    programme_over: bool = Field(description="no window this year nor any later one")
    window_id: str | None = Field(default=None, description="the window whose report is judged")


class DesignationStart(Model):
    """A designation's lifecycle, one yearly cycle per run (continue-as-new carries it on)."""

    designation_id: str
    programme_id: str
    category: str
    year: int = Field(description="the reporting year this run evaluates")
    standing: Standing = Standing.good_standing
    seq: int = 0
    evaluated: bool = False
    triggered_year: int = 0
    plan: CyclePlan | None = Field(
        default=None,
        description="the first cycle's plan, taken by the starter (else read by an activity)",
    )


DecisionKind = Literal["evaluate", "re_evaluate", "violation", "reinstate"]


class DecisionRequest(Model):
    designation_id: str
    kind: DecisionKind
    year: int
    seq: int
    at: dt.datetime
    grace_until: dt.datetime | None = None
    rectification_days: int = 90
    window_id: str | None = None
    actor: ActorData | None = None
    request: RequestData | None = None
    reason: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    legal_basis: str | None = None


class Decision(Model):
    standing: Standing
    reason: str
    rectify_by: dt.date | None = None


class ViolationReport(Model):
    """A major violation, reported by the province with its evidence: revokes at once."""

    actor: ActorData
    reason: str = Field(min_length=1, max_length=2000)
    evidence: dict[str, Any] = Field(min_length=1)
    legal_basis: str | None = Field(default=None, max_length=500)
    request: RequestData | None = None


class Reinstatement(Model):
    actor: ActorData
    reason: str = Field(min_length=1, max_length=2000)
    request: RequestData | None = None


class DesignationState(Model):
    designation_id: str
    year: int
    standing: Standing
    seq: int
    rectify_by: dt.date | None = None
