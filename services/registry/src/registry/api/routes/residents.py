"""``/v1/parks/{park_id}/residents``: the enterprises resident in a park or base, with join and
leave dates (004 附件7 省级电商产业示范园区、示范基地入驻电商企业名单)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from registry.api.deps import Ctx
from registry.api.schemas import ResidentJoin, ResidentLeave, ResidentPublic
from registry.handlers import residents as use_cases
from registry.handlers.common import BeforeCommit, Row
from shared.auth import CurrentPrincipal
from shared.http.idempotency import claim_with
from shared.http.pagination import Page, PageQuery

router = APIRouter(prefix="/v1/parks/{park_id}/residents", tags=["parks"])


def _claim(request: Request, status_code: int) -> BeforeCommit:
    return claim_with(request, status_code=status_code, render=_public)


def _public(row: Row) -> ResidentPublic:
    return ResidentPublic.model_validate(dict(row))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ResidentPublic)
async def join(
    request: Request,
    park_id: uuid.UUID,
    body: ResidentJoin,
    principal: CurrentPrincipal,
    context: Ctx,
) -> ResidentPublic:
    row = await use_cases.join(
        context,
        principal,
        park_id=park_id,
        enterprise_id=body.enterprise_id,
        joined_on=body.joined_on,
        before_commit=_claim(request, status.HTTP_201_CREATED),
    )
    return _public(row)


@router.post("/{residence_id}/leave", response_model=ResidentPublic)
async def leave(
    request: Request,
    park_id: uuid.UUID,
    residence_id: uuid.UUID,
    body: ResidentLeave,
    principal: CurrentPrincipal,
    context: Ctx,
) -> ResidentPublic:
    row = await use_cases.leave(
        context,
        principal,
        park_id=park_id,
        residence_id=residence_id,
        left_on=body.left_on,
        before_commit=_claim(request, status.HTTP_200_OK),
    )
    return _public(row)


@router.get(
    "",
    response_model=Page[ResidentPublic],
    summary="The park's residents in the order they joined (paged)",
    description="Current residents, or with `include_former` those who left too; `limit` "
    "(default 50, at most 500) a page; `next_cursor` reads on.",
)
async def residents(
    park_id: uuid.UUID,
    principal: CurrentPrincipal,
    context: Ctx,
    asked: PageQuery,
    include_former: bool = False,
) -> Page[ResidentPublic]:
    page = await use_cases.residents_page(
        context,
        principal,
        park_id=park_id,
        include_former=include_former,
        cursor=asked.cursor,
        limit=asked.limit,
    )
    return Page[ResidentPublic](
        items=[_public(r) for r in page.rows],
        next_cursor=page.next_cursor,
    )
