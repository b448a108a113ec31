"""``/v1/applications``: submit (update-with-start), read with the timeline, what is waiting
for the caller, and each human step as a Temporal update (``/steps``)."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Query, Request, Response, status

from awards.api.deps import (
    UNAVAILABLE,
    Now,
    Pool,
    Programmes,
    Settings,
    Targets,
    Temporal,
    claim_key,
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
from awards.handlers import applications, steps
from awards.handlers.submission import Submission, Submitted
from awards.handlers.submission import submit as submit_application
from awards.workflows.types import ApplicationState
from shared.auth import CurrentPrincipal
from shared.http.pagination import Page, encode_cursor, read_cursor

router = APIRouter(prefix="/v1/applications", tags=["applications"])
steps_router = APIRouter(prefix="/v1/applications", tags=["applications"])


def _submission_accepted(submitted: Submitted) -> SubmissionAccepted:
    return SubmissionAccepted(
        id=submitted.application_id, workflow_id=submitted.workflow_id, stage=submitted.stage
    )


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
    targets: Targets,
) -> Response:
    """申报: the operator submits for its own park, base, enterprise or team."""
    claim = claim_key(request, status_code=201, render=_submission_accepted)
    await submit_application(
        pool,
        temporal,
        principal,
        Submission(**body.model_dump()),
        programmes=programmes,
        now=now,
        task_queue=settings.task_queue,
        search_attributes=settings.search_attributes,
        claim=claim,
        targets=targets,
    )
    return claim.response()  # the answer claimed with the key, rendered once


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
    after = read_cursor(
        cursor, lambda p: (dt.datetime.fromisoformat(p["updated_at"]), uuid.UUID(p["id"]))
    )
    page = await applications.waiting_for(pool, principal, limit=limit, after=after)
    last = page.last
    following = (
        encode_cursor({"updated_at": last["updated_at"].isoformat(), "id": str(last["id"])})
        if last is not None
        else None
    )
    items = [ApplicationPublic.model_validate(dict(row)) for row in page.items]
    return Page[ApplicationPublic](items=items, next_cursor=following)


@router.get("/{application_id}", response_model=ApplicationDetail)
async def read(
    application_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool
) -> ApplicationDetail:
    found = await applications.read_application(pool, principal, application_id)
    return ApplicationDetail.model_validate(
        {
            **dict(found.application),
            "timeline": [StepPublic.model_validate(dict(s)) for s in found.steps],
        }
    )


def _step_accepted(application_id: uuid.UUID, state: ApplicationState) -> StepAccepted:
    return StepAccepted(
        id=application_id,
        stage=state.stage,
        waiting_on=state.waiting_on,
        notice_last_day=state.notice_last_day,
        score=state.score,
        panel=list(state.panel),
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
    targets: Targets,
) -> Response:
    """A human step, as the workflow's validated update: a refused step is problem+json and
    never enters the workflow's history."""
    claim = claim_key(
        request, status_code=200, render=lambda state: _step_accepted(application_id, state)
    )
    await steps.take_step(
        pool, temporal, targets, principal, application_id, body.model_dump(), claim=claim
    )
    return claim.response()  # the answer claimed with the key, rendered once
