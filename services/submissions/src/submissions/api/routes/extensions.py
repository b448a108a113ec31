"""``/v1/windows/{window_id}/extensions``: request (reporter or its city bureau), grant or
refuse (the province). Each step keeps actor, time and reason."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, status

from shared.auth import CurrentPrincipal
from shared.http.idempotency import claim_with
from shared.http.pagination import Page, PageQuery, next_cursor, read_cursor
from shared.programmes import Programme
from submissions.api.access import actor_for, province_actor, scope_of, visible_or_404
from submissions.api.deps import Ctx, Now, Pool
from submissions.api.errors import HANDLED, problem_for
from submissions.api.schemas import (
    ExtensionCreate,
    ExtensionGrant,
    ExtensionPublic,
    ExtensionRefuse,
    public,
)
from submissions.domain.actors import Actor
from submissions.handlers.common import Context, Row
from submissions.handlers.extensions import (
    decide_extension,
    extensions_page,
    request_extension,
)

router = APIRouter(prefix="/v1/windows/{window_id}/extensions", tags=["extensions"])


def claim_for(request: Request, status_code: int) -> Any:
    return claim_with(request, status_code=status_code, render=_public)


def _public(row: Row) -> ExtensionPublic:
    return public(ExtensionPublic, row)


@router.get(
    "",
    response_model=Page[ExtensionPublic],
    summary="Extension requests the caller may see, in the order they came (paged)",
    description="`limit` (default 50, at most 500) a page; `next_cursor` reads on.",
)
async def list_extensions(
    window_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    asked: PageQuery,
) -> Page[ExtensionPublic]:
    after_at, after_id = read_cursor(
        asked.cursor, lambda p: (dt.datetime.fromisoformat(p["requested_at"]), uuid.UUID(p["id"]))
    ) or (None, None)
    try:
        rows = await extensions_page(
            pool,
            context,
            window_id,
            after_at=after_at,
            after_id=after_id,
            count=asked.limit + 1,
            scope=scope_of(principal),
        )
    except HANDLED as exc:
        raise problem_for(exc) from exc
    return Page[ExtensionPublic](
        items=[_public(row) for row in rows[: asked.limit]],
        next_cursor=next_cursor(
            rows,
            asked.limit,
            lambda last: {"requested_at": last["requested_at"].isoformat(), "id": str(last["id"])},
        ),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExtensionPublic,
    summary="Ask for a later due time, with a reason (the reporter or its city bureau)",
)
async def request_(
    request: Request,
    window_id: str,
    body: ExtensionCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
) -> ExtensionPublic:
    def authorize(entry: Mapping[str, Any]) -> Actor:
        visible_or_404(principal, entry, "reporter on the roster", body.designation_id)
        return actor_for(principal, entry)

    try:
        row = await request_extension(
            pool,
            context,
            window_id=window_id,
            designation_id=body.designation_id,
            authorize=authorize,
            reason=body.reason,
            requested_due_at=body.requested_due_at,
            now=now,
            before_commit=claim_for(request, 201),
        )
    except HANDLED as exc:
        raise problem_for(exc) from exc
    return _public(row)


async def _decide(
    request: Request,
    window_id: str,
    extension_id: uuid.UUID,
    principal: Any,
    pool: Pool,
    context: Context,
    now: dt.datetime,
    *,
    grant: bool,
    new_due_at: Any,
    reason: Any,
) -> ExtensionPublic:
    def authorize(entry: Mapping[str, Any] | None, programme: Programme) -> Actor:
        visible_or_404(principal, entry, "extension", str(extension_id))
        return province_actor(principal, jurisdiction=programme.jurisdiction)

    try:
        row = await decide_extension(
            pool,
            context,
            window_id=window_id,
            extension_id=extension_id,
            authorize=authorize,
            grant=grant,
            new_due_at=new_due_at,
            reason=reason,
            now=now,
            before_commit=claim_for(request, 200),
        )
    except HANDLED as exc:
        raise problem_for(exc) from exc
    return _public(row)


@router.post(
    "/{extension_id}/grant",
    response_model=ExtensionPublic,
    summary="Grant an extension with a new, later due time (the province)",
)
async def grant(
    request: Request,
    window_id: str,
    extension_id: uuid.UUID,
    body: ExtensionGrant,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
) -> ExtensionPublic:
    return await _decide(
        request,
        window_id,
        extension_id,
        principal,
        pool,
        context,
        now,
        grant=True,
        new_due_at=body.new_due_at,
        reason=body.reason,
    )


@router.post(
    "/{extension_id}/refuse",
    response_model=ExtensionPublic,
    summary="Refuse an extension, with a reason (the province)",
)
async def refuse(
    request: Request,
    window_id: str,
    extension_id: uuid.UUID,
    body: ExtensionRefuse,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
) -> ExtensionPublic:
    return await _decide(
        request,
        window_id,
        extension_id,
        principal,
        pool,
        context,
        now,
        grant=False,
        new_due_at=None,
        reason=body.reason,
    )
