"""``/v1/windows``: list, read and open reporting windows; the roster; reopening for one reporter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Query, Request, Response, status

from shared import audit
from shared.auth import CurrentPrincipal
from shared.http import catalogue
from shared.http.headers import LOCATION, sends
from shared.http.idempotency import claim_idempotency_key, claim_with
from shared.http.pagination import (
    Page,
    PageQuery,
    encode_cursor,
    next_cursor,
    read_cursor,
)
from shared.http.problems import ProblemError
from shared.i18n import t
from shared.programmes import Programme
from submissions.api.access import actor_for, province_actor, scope_of, visible_or_404
from submissions.api.deps import Ctx, Now, Pool
from submissions.api.errors import HANDLED, problem_for
from submissions.api.schemas import (
    Reopening,
    ReopeningPublic,
    RosterChangePublic,
    WindowOpen,
    WindowPublic,
    WindowRosterEntryPublic,
    public,
)
from submissions.domain.actors import Actor
from submissions.domain.errors import Refused
from submissions.handlers.common import Connection, Row
from submissions.handlers.windows import (
    AlreadyOpen,
    find_window,
    open_window,
    reopen_window,
    roster_page,
    windows_page,
)

router = APIRouter(prefix="/v1/windows", tags=["windows"])


def window_public(row: Any) -> WindowPublic:
    return public(WindowPublic, row, window=row["window_slug"])


@router.get("", response_model=Page[WindowPublic], summary="Reporting windows, newest first")
async def list_windows(
    principal: CurrentPrincipal,
    pool: Pool,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[WindowPublic]:
    after, after_id = read_cursor(
        cursor, lambda p: (dt.datetime.fromisoformat(p["at"]), str(p["id"]))
    ) or (None, None)
    rows = await windows_page(pool, after=after, after_id=after_id, count=limit + 1)
    return Page[WindowPublic](
        items=[window_public(row) for row in rows[:limit]],
        next_cursor=next_cursor(
            rows, limit, lambda last: {"at": last["opened_at"].isoformat(), "id": last["id"]}
        ),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WindowPublic,
    summary="Open a window now and freeze its roster (the province; the clock opens it at opens_at)",
    responses=sends(201, LOCATION),
)
async def open_(
    request: Request,
    body: WindowOpen,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    response: Response,
) -> WindowPublic:
    programme = context.programmes.get(body.programme_id)
    if programme is not None:
        province_actor(principal, jurisdiction=programme.jurisdiction)

    async def claim(connection: Connection, row: Row) -> None:
        response.headers["Location"] = f"/v1/windows/{row['id']}"
        await claim_idempotency_key(
            connection,
            request,
            status_code=201,
            content=window_public(row),
            headers=response.headers,
        )

    try:
        row = await open_window(
            pool,
            context,
            programme_id=body.programme_id,
            window_slug=body.window,
            year=body.year,
            opened_by=principal.subject,
            now=now,
            auditor=audit.Actor.of(principal),
            before_commit=claim,
        )
    except AlreadyOpen as exc:
        window_id = exc.row["id"]
        raise ProblemError(
            catalogue.WINDOW_ALREADY_OPEN,
            t(f"填报窗口 {window_id} 已开启", f"window {window_id} is already open"),
            extra={"window_id": window_id},
        ) from exc
    except HANDLED as exc:
        raise problem_for(exc) from exc
    return window_public(row)


@router.get("/{window_id}", response_model=WindowPublic, summary="Read a window")
async def read(window_id: str, principal: CurrentPrincipal, pool: Pool, context: Ctx) -> Any:
    try:
        return window_public(await find_window(pool, context, window_id))
    except HANDLED as exc:
        raise problem_for(exc) from exc


@router.get(
    "/{window_id}/roster",
    response_model=Page[WindowRosterEntryPublic],
    summary="Who must report, each with every change to it (the caller's scope; paged)",
    description="By designation id; `limit` (default 50, at most 500) entries a page, each "
    "with its changes; `next_cursor` reads on.",
)
async def roster(
    window_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    asked: PageQuery,
) -> Page[WindowRosterEntryPublic]:
    # The cursor's key is its own, so the reports list's cursor is refused here (and this one there).
    after = read_cursor(asked.cursor, lambda p: str(p["designation_id"]))
    try:
        found = await roster_page(
            pool,
            context,
            window_id,
            after=after,
            count=asked.limit + 1,
            page_size=asked.limit,
            scope=scope_of(principal),
        )
    except HANDLED as exc:
        raise problem_for(exc) from exc
    page = found.entries[: asked.limit]
    return Page[WindowRosterEntryPublic](
        items=[
            public(
                WindowRosterEntryPublic,
                e,
                changes=[public(RosterChangePublic, c) for c in found.changes[e["designation_id"]]],
            )
            for e in page
        ],
        next_cursor=encode_cursor({"designation_id": page[-1]["designation_id"]})
        if len(found.entries) > asked.limit
        else None,
    )


@router.post(
    "/{window_id}/reopenings",
    status_code=status.HTTP_201_CREATED,
    response_model=ReopeningPublic,
    summary="Reopen the window for one named reporter until ends_at (the province)",
)
async def reopen(
    request: Request,
    window_id: str,
    body: Reopening,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
) -> Any:
    def authorize(entry: Mapping[str, Any], programme: Programme) -> Actor:
        visible_or_404(principal, entry, "reporter on the roster", body.designation_id)
        actor_for(principal, entry)  # 403 for those who only read
        return province_actor(principal, jurisdiction=programme.jurisdiction)

    def render(row: Row) -> ReopeningPublic:
        return public(ReopeningPublic, row)

    try:
        row = await reopen_window(
            pool,
            context,
            window_id=window_id,
            designation_id=body.designation_id,
            authorize=authorize,
            ends_at=body.ends_at,
            reason=body.reason,
            now=now,
            before_commit=claim_with(request, status_code=201, render=render),
        )
    except (*HANDLED, Refused) as exc:
        raise problem_for(exc) from exc
    return public(ReopeningPublic, row)
