"""Dynamic management for the province: every designation's standing per programme and year
with the evidence and who decided; a major violation reported with its evidence (revokes at
once); reinstatement (``awards.handlers.standing_province``)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request

from awards.api.deps import UNAVAILABLE, Pool, Temporal, claim_key
from awards.api.schemas import (
    DesignationStandingPublic,
    ReinstatementCreate,
    StandingAccepted,
    ViolationCreate,
)
from awards.handlers import standing_province
from awards.workflows.types import DesignationState
from shared.auth import CurrentPrincipal
from shared.http.pagination import Page, encode_cursor, read_cursor

router = APIRouter(prefix="/v1/designations", tags=["dynamic management"])


@router.get("/standing", response_model=Page[DesignationStandingPublic])
async def standing(
    principal: CurrentPrincipal,
    pool: Pool,
    programme_id: str = Query(max_length=100),
    year: int = Query(ge=2000, le=2100),
    limit: int = Query(default=100, ge=1, le=500),
    cursor: str | None = Query(default=None, max_length=200),
) -> Page[DesignationStandingPublic]:
    after = read_cursor(cursor, lambda values: uuid.UUID(str(values["id"])))
    rows = await standing_province.list_standing(
        pool, principal, programme_id=programme_id, year=year, limit=limit, after=after
    )
    items = [_public(row) for row in rows]
    next_cursor = encode_cursor({"id": str(items[-1].id)}) if len(items) == limit else None
    return Page[DesignationStandingPublic](items=items, next_cursor=next_cursor)


def _public(row: Any) -> DesignationStandingPublic:
    return DesignationStandingPublic.model_validate(dict(row))


def _accepted(designation_id: uuid.UUID, state: DesignationState) -> StandingAccepted:
    return StandingAccepted(designation_id=designation_id, year=state.year, standing=state.standing)


@router.post(
    "/{designation_id}/violations",
    response_model=StandingAccepted,
    responses=UNAVAILABLE,  # type: ignore[arg-type]
)
async def report_violation(
    request: Request,
    designation_id: uuid.UUID,
    body: ViolationCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    temporal: Temporal,
) -> StandingAccepted:
    """A major violation with its evidence: the designation is revoked at once."""
    state = await standing_province.decide_standing(
        pool,
        temporal,
        principal,
        designation_id,
        "violation",
        body.model_dump(),
        claim=claim_key(
            request, status_code=200, render=lambda state: _accepted(designation_id, state)
        ),
    )
    return _accepted(designation_id, state)


@router.post(
    "/{designation_id}/reinstatement",
    response_model=StandingAccepted,
    responses=UNAVAILABLE,  # type: ignore[arg-type]
)
async def reinstate(
    request: Request,
    designation_id: uuid.UUID,
    body: ReinstatementCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    temporal: Temporal,
) -> StandingAccepted:
    """The province reinstates a revoked designation (``awards.designation.reinstated``)."""
    state = await standing_province.decide_standing(
        pool,
        temporal,
        principal,
        designation_id,
        "reinstatement",
        body.model_dump(),
        claim=claim_key(
            request, status_code=200, render=lambda state: _accepted(designation_id, state)
        ),
    )
    return _accepted(designation_id, state)
