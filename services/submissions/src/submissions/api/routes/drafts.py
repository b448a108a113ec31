"""``/v1/windows/{window_id}/reports/{designation_id}/draft``: an incomplete report saved for
later (``handlers.drafts``). Scoped as the report: the reporter and its city bureau.

The ETag is the draft's revision. If-Match is optional on a save: a reporter's editor saves as
it goes, and a client that wants no lost update (the reporter and its city bureau editing at
once) sends it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Response

from shared.auth import CurrentPrincipal
from shared.http.etag import check_put_precondition, etag_for
from shared.http.headers import ETAG, if_match_header, sends
from submissions.api.access import actor_for, visible_or_404
from submissions.api.deps import Ctx, Now, Pool
from submissions.api.errors import HANDLED, problem_for
from submissions.api.schemas import DraftPublic, DraftSave, public
from submissions.domain.actors import Actor
from submissions.handlers.drafts import find_draft, save_draft

router = APIRouter(
    prefix="/v1/windows/{window_id}/reports/{designation_id}/draft", tags=["reports"]
)


@router.put(
    "",
    response_model=DraftPublic,
    summary="Save the draft (replaces the previous one; no version, no event)",
    description="Taken when a submission would be (else 409 with the `reason`); figures that "
    "are not the template's are refused with 422; what a submission still needs is listed in "
    "`pending`. The next submission deletes the draft.",
    responses=sends(200, ETAG),
)
async def put_draft(
    window_id: str,
    designation_id: str,
    body: DraftSave,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    response: Response,
    if_match: str | None = if_match_header(required=False),
) -> DraftPublic:
    def authorize(entry: Mapping[str, Any]) -> Actor:
        visible_or_404(principal, entry, "reporter on the roster", designation_id)
        return actor_for(principal, entry)

    try:
        saved = await save_draft(
            pool,
            context,
            window_id=window_id,
            designation_id=designation_id,
            authorize=authorize,
            figures=body.figures,
            explanations=body.explanations,
            now=now,
            check_revision=None
            if if_match is None
            else lambda revision: check_put_precondition(
                if_match, None if revision is None else etag_for(revision)
            ),
        )
    except HANDLED as exc:
        raise problem_for(exc) from exc
    pending = [{"field": f.field, "code": f.code, "message": f.message} for f in saved.pending]
    result: DraftPublic = public(DraftPublic, saved.draft, pending=pending)
    response.headers["ETag"] = etag_for(saved.draft["revision"])
    return result


@router.get(
    "",
    response_model=DraftPublic,
    summary="Read the draft (404 when there is none)",
    responses=sends(200, ETAG),
)
async def get_draft(
    window_id: str, designation_id: str, principal: CurrentPrincipal, pool: Pool, response: Response
) -> DraftPublic:
    row = await find_draft(
        pool,
        window_id,
        designation_id,
        lambda found: visible_or_404(principal, found, "draft", designation_id),
    )
    result: DraftPublic = public(DraftPublic, row)
    response.headers["ETag"] = etag_for(row["revision"])
    return result
