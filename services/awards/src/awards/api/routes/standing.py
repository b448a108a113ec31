"""Dynamic management for the province (ISSUE-12): every designation's standing per programme
and year with the evidence and who decided; a major violation reported with its evidence
(revokes at once); reinstatement. Each change is the designation workflow's validated update;
its activity writes the decision, the event and the audit record (with this request's facts)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request

from awards.api.deps import UNAVAILABLE, Pool, Temporal, run_update
from awards.api.routes.applications import actor_of, request_data
from awards.standing import queries
from awards.standing.schemas import (
    DesignationStandingPublic,
    ReinstatementCreate,
    StandingAccepted,
    ViolationCreate,
)
from awards.standing.types import (
    DesignationState,
    Reinstatement,
    ViolationReport,
    designation_workflow_id,
)
from awards.workflows.designation import DesignationWorkflow
from shared.auth import CurrentPrincipal, Principal
from shared.auth.roles import Role
from shared.http.idempotency import claim_idempotency_key
from shared.http.pagination import Page, encode_cursor, read_cursor
from shared.http.problems import forbidden, not_found
from shared.i18n import t

router = APIRouter(prefix="/v1/designations", tags=["dynamic management"])


def _region_pattern(principal: Principal) -> str | None:
    """The province sees its province; a city bureau its city."""
    region = principal.region_code
    if region is None:
        raise forbidden(t("需要地区主管部门的令牌", "a regional office's token is needed"))
    if Role.province_admin in principal.roles:
        return region[:2] + "%"
    if Role.city_bureau in principal.roles:
        return region[:4] + "%"
    raise forbidden(
        t("仅省厅和市级商务主管部门可查看示范状态", "the province and city bureaus see standings")
    )


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
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            queries.STANDING_LIST, programme_id, year, _region_pattern(principal), limit, after
        )
    items = [_public(row) for row in rows]
    next_cursor = encode_cursor({"id": str(items[-1].id)}) if len(items) == limit else None
    return Page[DesignationStandingPublic](items=items, next_cursor=next_cursor)


def _public(row: Any) -> DesignationStandingPublic:
    return DesignationStandingPublic.model_validate(dict(row))


async def _update(
    request: Request,
    principal: Principal,
    pool: Pool,
    temporal: Temporal,
    designation_id: uuid.UUID,
    update: Any,
    argument: ViolationReport | Reinstatement,
) -> StandingAccepted:
    if Role.province_admin not in principal.roles:
        raise forbidden(
            t("撤销和恢复由省厅决定", "the province decides revocations and reinstatements")
        )
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(queries.DESIGNATION, designation_id)
        pattern = _region_pattern(principal)
        if row is None or (pattern and not row["region_code"].startswith(pattern[:-1])):
            raise not_found(t("示范认定", "designation"), str(designation_id))
        handle = temporal.get_workflow_handle(designation_workflow_id(str(designation_id)))
        state: DesignationState = await run_update(
            handle,
            update,
            argument,
            ended=t("该示范认定的流程已结束", "the designation's workflow has ended"),
            result_type=DesignationState,
        )
        accepted = StandingAccepted(
            designation_id=designation_id, year=state.year, standing=state.standing
        )
        # The decision and its audit record were written by the workflow's activity; the key
        # is claimed here, so a retried request answers the same without a second update.
        await claim_idempotency_key(
            connection, request, status_code=200, content=accepted.model_dump(mode="json")
        )
    return accepted


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
    report = ViolationReport(actor=actor_of(principal), request=request_data(), **body.model_dump())
    return await _update(
        request, principal, pool, temporal, designation_id,
        DesignationWorkflow.report_violation, report,
    )  # fmt: skip


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
    reinstatement = Reinstatement(
        actor=actor_of(principal), request=request_data(), **body.model_dump()
    )
    return await _update(
        request, principal, pool, temporal, designation_id,
        DesignationWorkflow.reinstate, reinstatement,
    )  # fmt: skip
