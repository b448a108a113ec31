"""Submitting an application (申报): the round open, the applicant eligible and the operator's
own, the materials complete, the round's terms as a snapshot, and the workflow reached with
update-with-start (a retried submission never starts two)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from awards.db import queries, repository
from awards.domain.application import FINAL_STAGES, Stage
from awards.domain.eligibility import eligibility_problems
from awards.domain.rounds import ApplicationRound, NoSuchRound, application_round, awarding_of
from awards.domain.submission import (
    application_id_for,
    material_names,
    missing_materials,
    today_in_china,
    with_resident_list,
)
from awards.handlers.common import ClaimKey, Pool, actor_of, request_data
from awards.handlers.steps import StepTargets
from awards.handlers.updates import temporal_unavailable
from awards.workflows.types import (
    APPLICATION_WORKFLOW,
    SUBMIT,
    TASK_QUEUE,
    Applicant,
    ApplicationStart,
    ApplicationState,
    Submit,
    Terms,
    search_attributes_for,
    workflow_id_for,
)
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.http import catalogue
from shared.http.problem_types import ProblemType
from shared.http.problems import ProblemError, forbidden
from shared.i18n import Text, t
from shared.programmes import Programme


@dataclass(frozen=True)
class Submission:
    """What the operator sends: the round, the applicant, the materials by id."""

    programme_id: str
    year: int
    category: str
    entity_type: str
    entity_id: str
    materials: dict[str, Any]


@dataclass(frozen=True)
class Submitted:
    application_id: uuid.UUID
    workflow_id: str
    stage: Stage


def unprocessable(kind: ProblemType, detail: Text, **extra: Any) -> ProblemError:
    return ProblemError(kind, detail, extra=extra)


def terms_of(programme: Programme, application_round: ApplicationRound) -> Terms:
    awarding = awarding_of(programme)
    evaluation = programme.evaluation
    if evaluation is None:
        raise NoSuchRound(
            t(
                f"规划 {programme.id} 没有评审指标体系",
                f"programme {programme.id!r} has no indicator system",
            )
        )
    basis = awarding.legal_basis
    return Terms(
        programme_id=programme.id,
        year=application_round.year,
        category=application_round.category,
        title=application_round.title,
        city_review_due_at=application_round.city_review_due_at,
        panel=awarding.expert_panel,
        indicator_system=evaluation.indicator_system(application_round.category),
        public_notice=awarding.public_notice,
        legal_basis=f"{basis.document_number} {basis.section}",
        recommend_for_national=awarding.recommend_for_national,
    )


async def start_application(
    client: Client,
    start: ApplicationStart,
    *,
    task_queue: str = TASK_QUEUE,
    search_attributes: bool = True,
) -> ApplicationState:
    operation: WithStartWorkflowOperation[Any, ApplicationState] = WithStartWorkflowOperation(
        APPLICATION_WORKFLOW,
        start,
        id=workflow_id_for(start.application_id),
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A closed application is never run again under its id: its timeline is numbered.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        task_queue=task_queue,
        search_attributes=search_attributes_for(start) if search_attributes else None,
        result_type=ApplicationState,
    )
    state: ApplicationState = await client.execute_update_with_start_workflow(
        SUBMIT,
        Submit(application_id=start.application_id),
        start_workflow_operation=operation,
        id=f"submit-{start.application_id}",
        result_type=ApplicationState,
    )
    return state


def open_round(
    programmes: Mapping[str, Programme], submission: Submission, now: dt.datetime
) -> tuple[Programme, ApplicationRound]:
    """The programme and its round, open at ``now``; else why not, as a problem."""
    programme = programmes.get(submission.programme_id)
    if programme is None:
        raise unprocessable(
            catalogue.NO_SUCH_ROUND,
            t(f"没有规划 {submission.programme_id}", f"no programme {submission.programme_id}"),
        )
    try:
        the_round = application_round(programme, submission.year, submission.category)
    except NoSuchRound as exc:
        raise unprocessable(catalogue.NO_SUCH_ROUND, exc.text) from exc
    refusal = the_round.not_open(now)
    if refusal == "not_yet":
        opens, last = the_round.opening_day, the_round.closing_day
        raise ProblemError(
            catalogue.ROUND_NOT_OPEN,
            t(
                f"申报轮次于 {opens}（北京时间）开放，受理至 {last} 24 时",
                f"the round opens on {opens} (China time) and takes applications until the "
                f"end of {last}",
            ),
        )
    if refusal == "closed":
        opens, last = the_round.opening_day, the_round.closing_day
        raise ProblemError(
            catalogue.ROUND_CLOSED,
            t(
                f"申报轮次已于 {last} 24 时（北京时间）截止，受理期自 {opens} 起",
                f"the round closed at the end of {last} (China time); it took applications "
                f"from {opens}",
            ),
        )
    return programme, the_round


async def submit(
    pool: Pool,
    temporal: Client,
    principal: Principal,
    submission: Submission,
    *,
    programmes: Mapping[str, Programme],
    now: dt.datetime,
    task_queue: str,
    search_attributes: bool,
    claim: ClaimKey,
    targets: StepTargets | None = None,
) -> Submitted:
    """申报: the operator submits for its own park, base, enterprise or team. ``targets``
    remembers a new application's fixed facts for its steps (``awards.handlers.steps``)."""
    if Role.operator not in principal.roles:
        raise forbidden(
            t(
                "申报由项目建设运营主体或企业提交",
                "applications are submitted by the operator (项目建设运营主体或企业)",
            )
        )
    programme, the_round = open_round(programmes, submission, now)
    async with pool.acquire() as connection, connection.transaction():
        applicant = await repository.applicant(
            connection, submission.entity_type, submission.entity_id
        )
        if applicant is None:
            raise unprocessable(
                catalogue.UNKNOWN_APPLICANT,
                t(
                    f"名录中没有 {submission.entity_type} {submission.entity_id}",
                    f"no {submission.entity_type} {submission.entity_id} in the registry",
                ),
            )
        owner = applicant.owner_enterprise_id or (
            applicant.entity_id if applicant.entity_type == "enterprise" else None
        )
        if owner is None or owner not in principal.enterprise_ids:
            raise forbidden(
                t(
                    "运营主体只能为本企业的主体申报",
                    "an operator applies only for its own enterprise's entities",
                )
            )
        records = await repository.credit_records_of(connection, applicant.entity_id)
        problems = eligibility_problems(
            applicant,
            the_round,
            jurisdiction=programme.jurisdiction,
            credit_records=records,
            on=today_in_china(now),
        )
        if problems:
            raise unprocessable(
                catalogue.NOT_ELIGIBLE,
                t(
                    "申报主体不符合本轮申报条件：" + "；".join(p.reason.zh for p in problems),
                    "the applicant may not apply in this round: "
                    + "; ".join(p.reason.en for p in problems),
                ),
                problems=[{"code": p.code, "reason": p.reason} for p in problems],
            )
        missing = missing_materials(the_round, submission.materials)
        if missing:
            raise unprocessable(
                catalogue.MATERIALS_MISSING,
                t(
                    "申报材料缺少"
                    + "、".join(f"《{n}》" for n in material_names(the_round, missing)),
                    "materials are missing: " + ", ".join(missing),
                ),
                missing=missing,
            )
        residents = [
            {
                "enterprise_id": r["enterprise_id"],
                "name": r["name"],
                "joined_on": str(r["joined_on"]),
            }
            for r in await connection.fetch(queries.CURRENT_RESIDENTS, applicant.entity_id)
        ]
        application_id = application_id_for(
            programme.id,
            the_round.year,
            the_round.category,
            applicant.entity_type,
            applicant.entity_id,
        )
        existing = await repository.application(connection, application_id)
        if existing is not None and existing["stage"] in FINAL_STAGES:
            stage = existing["stage"]
            raise ProblemError(
                catalogue.ALREADY_DECIDED,
                t(
                    f"该主体本轮的申报已处于 {stage} 阶段",
                    f"this entity's application in this round is {stage}",
                ),
            )
        start = ApplicationStart(
            application_id=str(application_id),
            terms=terms_of(programme, the_round),
            applicant=Applicant(
                entity_type=applicant.entity_type,
                entity_id=applicant.entity_id,
                entity_name=applicant.name,
                region_code=applicant.region_code,
                owner_enterprise_id=owner,
            ),
            submitted_by=actor_of(principal),
            materials=with_resident_list(the_round, submission.materials, residents),
            request=request_data(),
        )
        # The workflow writes the application (its first activity); starting it inside this
        # transaction means a failed start leaves the key unclaimed for a retry.
        try:
            state = await start_application(
                temporal, start, task_queue=task_queue, search_attributes=search_attributes
            )
        except WorkflowAlreadyStartedError as exc:  # closed meanwhile: see REJECT_DUPLICATE
            raise ProblemError(
                catalogue.ALREADY_DECIDED, t("该申报已结束", "this application has ended")
            ) from exc
        except RPCError as exc:
            raise temporal_unavailable() from exc
        submitted = Submitted(
            application_id=application_id,
            workflow_id=workflow_id_for(str(application_id)),
            stage=state.stage,
        )
        await claim(connection, submitted)
    # Only an application new here: a resubmission's row keeps what its first submission wrote.
    if targets is not None and existing is None:
        targets.remember(
            application_id,
            workflow_id=submitted.workflow_id,
            region_code=applicant.region_code,
            owner_enterprise_id=owner,
        )
    return submitted
