"""``/v1/applications``: submit (update-with-start), read with the timeline, what is waiting
for the caller, and each human step as a Temporal update (``/steps``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
from fastapi import APIRouter, Query, Request, status
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from awards.api.deps import (
    UNAVAILABLE,
    Pool,
    Programmes,
    Settings,
    Temporal,
    run_update,
    temporal_unavailable,
)
from awards.api.schemas import (
    ApplicationCreate,
    ApplicationDetail,
    ApplicationPublic,
    StepAccepted,
    StepCreate,
    StepPublic,
    SubmissionAccepted,
)
from awards.db import queries, repository
from awards.domain.application import FINAL_STAGES
from awards.domain.eligibility import eligibility_problems
from awards.domain.rounds import NoSuchRound, application_round
from awards.submission import (
    application_id_for,
    material_names,
    missing_materials,
    new_start,
    start_application,
    terms_of,
    today_in_china,
    with_resident_list,
)
from awards.workflows.types import ActorData, Applicant, RequestData, StepRequest
from awards.workflows.workflows import ApplicationWorkflow
from shared import audit
from shared.auth import CurrentPrincipal, Principal
from shared.auth.roles import Role
from shared.auth.scope import may_see_region
from shared.http import catalogue
from shared.http.clock import Now
from shared.http.idempotency import claim_idempotency_key
from shared.http.pagination import Page, encode_cursor, read_cursor
from shared.http.problem_types import ProblemType
from shared.http.problems import ProblemError, forbidden, not_found
from shared.i18n import Text, t

router = APIRouter(prefix="/v1/applications", tags=["applications"])
steps_router = APIRouter(prefix="/v1/applications", tags=["applications"])


def request_data() -> RequestData:
    """This request's facts, carried to the activity that writes the audit record."""
    facts = audit.current_request()
    return RequestData(
        request_id=facts.request_id, client_ip=facts.client_ip, user_agent=facts.user_agent
    )


def actor_of(principal: Principal) -> ActorData:
    return ActorData(
        subject=principal.subject,
        roles=tuple(sorted(str(role) for role in principal.roles)),
        region_code=principal.region_code,
        enterprise_ids=tuple(sorted(principal.enterprise_ids)),
    )


def unprocessable(kind: ProblemType, detail: Text, **extra: Any) -> ProblemError:
    return ProblemError(kind, detail, extra=extra)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmissionAccepted,
    responses=UNAVAILABLE,  # type: ignore[arg-type]
)
async def submit(
    request: Request,
    body: ApplicationCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
    settings: Settings,
    temporal: Temporal,
    now: Now,
) -> SubmissionAccepted:
    """申报: the operator submits for its own park, base, enterprise or team."""
    if Role.operator not in principal.roles:
        raise forbidden(
            t(
                "申报由项目建设运营主体或企业提交",
                "applications are submitted by the operator (项目建设运营主体或企业)",
            )
        )
    programme = programmes.get(body.programme_id)
    if programme is None:
        raise unprocessable(
            catalogue.NO_SUCH_ROUND,
            t(f"没有规划 {body.programme_id}", f"no programme {body.programme_id}"),
        )
    try:
        the_round = application_round(programme, body.year, body.category)
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
    async with pool.acquire() as connection, connection.transaction():
        applicant = await repository.applicant(connection, body.entity_type, body.entity_id)
        if applicant is None:
            raise unprocessable(
                catalogue.UNKNOWN_APPLICANT,
                t(
                    f"名录中没有 {body.entity_type} {body.entity_id}",
                    f"no {body.entity_type} {body.entity_id} in the registry",
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
        missing = missing_materials(the_round, body.materials)
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
        start = new_start(
            application_id=application_id,
            terms=terms_of(programme, the_round),
            applicant=Applicant(
                entity_type=applicant.entity_type,
                entity_id=applicant.entity_id,
                entity_name=applicant.name,
                region_code=applicant.region_code,
                owner_enterprise_id=owner,
            ),
            actor=actor_of(principal),
            materials=with_resident_list(the_round, body.materials, residents),
            request=request_data(),
        )
        # The workflow writes the application (its first activity); starting it inside this
        # transaction means a failed start leaves the key unclaimed for a retry.
        try:
            state = await start_application(
                temporal,
                start,
                task_queue=settings.task_queue,
                search_attributes=settings.search_attributes,
            )
        except WorkflowAlreadyStartedError as exc:  # closed meanwhile: see REJECT_DUPLICATE
            raise ProblemError(
                catalogue.ALREADY_DECIDED, t("该申报已结束", "this application has ended")
            ) from exc
        except RPCError as exc:
            raise temporal_unavailable() from exc
        accepted = SubmissionAccepted(
            id=application_id, workflow_id=f"awards-application-{application_id}", stage=state.stage
        )
        await claim_idempotency_key(
            connection, request, status_code=201, content=accepted.model_dump(mode="json")
        )
    return accepted


def _may_see(principal: Principal, row: asyncpg.Record, panel: list[asyncpg.Record]) -> bool:
    if may_see_region(principal, row["region_code"]):
        return True
    if Role.operator in principal.roles and row["owner_enterprise_id"] in principal.enterprise_ids:
        return True
    return Role.expert in principal.roles and any(
        p["expert_id"] == principal.subject for p in panel
    )


@router.get("/waiting", response_model=Page[ApplicationPublic])
async def waiting_for_me(
    principal: CurrentPrincipal,
    pool: Pool,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[ApplicationPublic]:
    """What is waiting for the caller: its office's steps in its region, an operator's
    returned applications, an expert's cards still to score. Newest first, ``limit`` (up to
    200) a page; ``next_cursor`` reads on (a province's queue on the eve of a deadline can be
    longer than a page)."""
    after_at, after_id = read_cursor(
        cursor, lambda p: (dt.datetime.fromisoformat(p["updated_at"]), uuid.UUID(p["id"]))
    ) or (None, None)
    found: dict[uuid.UUID, asyncpg.Record] = {}
    async with pool.acquire() as connection:
        for role in sorted(principal.roles):
            region = principal.region_code
            pattern = None
            if role in (Role.city_bureau, Role.province_admin):
                if region is None:
                    continue
                pattern = region[:4] + "%" if role is Role.city_bureau else region[:2] + "%"
            owned = sorted(principal.enterprise_ids) if role is Role.operator else None
            expert = principal.subject if role is Role.expert else None
            if role not in (Role.city_bureau, Role.province_admin, Role.operator, Role.expert):
                continue
            rows = await connection.fetch(
                queries.WAITING, str(role), pattern, owned, expert, limit + 1, after_at, after_id
            )
            for row in rows:
                found[row["id"]] = row
    # Each role's page holds the newest after the cursor, so their union holds the page.
    ordered = sorted(found.values(), key=lambda r: (r["updated_at"], r["id"]), reverse=True)
    last = ordered[limit - 1] if len(ordered) > limit else None
    following = (
        encode_cursor({"updated_at": last["updated_at"].isoformat(), "id": str(last["id"])})
        if last is not None
        else None
    )
    items = [ApplicationPublic.model_validate(dict(row)) for row in ordered[:limit]]
    return Page[ApplicationPublic](items=items, next_cursor=following)


@router.get("/{application_id}", response_model=ApplicationDetail)
async def read(
    application_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool
) -> ApplicationDetail:
    async with pool.acquire() as connection:
        row = await repository.application(connection, application_id)
        panel = await repository.panel(connection, application_id) if row else []
        if row is None or not _may_see(principal, row, panel):
            raise not_found(t("申报", "application"), str(application_id))
        steps = await repository.steps(connection, application_id)
    return ApplicationDetail.model_validate(
        {**dict(row), "timeline": [StepPublic.model_validate(dict(s)) for s in steps]}
    )


@steps_router.post(
    "/{application_id}/steps",
    response_model=StepAccepted,
    responses=UNAVAILABLE,  # type: ignore[arg-type]
)
async def take_step(
    request: Request,
    application_id: uuid.UUID,
    body: StepCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    temporal: Temporal,
) -> StepAccepted:
    """A human step, as the workflow's validated update: a refused step is problem+json and
    never enters the workflow's history."""
    async with pool.acquire() as connection, connection.transaction():
        row = await repository.application(connection, application_id)
        panel = await repository.panel(connection, application_id) if row else []
        if row is None or not _may_see(principal, row, panel):
            raise not_found(t("申报", "application"), str(application_id))
        step = StepRequest(actor=actor_of(principal), request=request_data(), **body.model_dump())
        handle = temporal.get_workflow_handle(row["workflow_id"])
        state = await run_update(
            handle,
            ApplicationWorkflow.take_step,
            step,
            ended=t("该申报的流程已结束", "the application's workflow has ended"),
        )
        accepted = StepAccepted(
            id=application_id,
            stage=state.stage,
            waiting_on=state.waiting_on,
            notice_last_day=state.notice_last_day,
            score=state.score,
            panel=list(state.panel),
        )
        await claim_idempotency_key(
            connection, request, status_code=200, content=accepted.model_dump(mode="json")
        )
    return accepted
