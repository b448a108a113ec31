"""``/v1/programmes/{id}`` revised, and its revisions (docs/programmes.md, "Revisions"): the
province of the programme's jurisdiction changes the programme as data; every revision stays
readable with what it changed."""

from __future__ import annotations

from fastapi import APIRouter, Path, Response

from registry.api.deps import Ctx
from registry.api.schemas import (
    FieldChange,
    ProgrammeRevisionCreate,
    ProgrammeRevisionPublic,
    ProgrammeRevisionSummary,
)
from registry.handlers import revisions
from shared.auth import CurrentPrincipal
from shared.http.etag import etag_for
from shared.http.headers import ETAG, if_match_header, sends
from shared.http.pagination import Page, PageQuery

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])
REVISION = Path(ge=1, le=2**31 - 1)


@router.put(
    "/{programme_id}",
    response_model=ProgrammeRevisionPublic,
    summary="Revise the programme (its province only)",
    description="The whole programme as it is to stand, and why. Validated as the programme "
    "files are (422 `validation_failed` naming each field); what identifies it (id, "
    "jurisdiction, document) stays; a figure its document fixes (a reward cap, the report's "
    "due day) may not be broken (422 `document_rule_broken` with the document's words). "
    "Answers the new revision with what it changed; its ETag is the new revision's. Published "
    "as `registry.programme.revised`; every service takes it without a restart. Work already "
    "running keeps the terms it started with.",
    responses=sends(200, ETAG),
)
async def revise_programme(
    programme_id: str,
    body: ProgrammeRevisionCreate,
    principal: CurrentPrincipal,
    context: Ctx,
    response: Response,
    if_match: str | None = if_match_header(
        description="The ETag of the revision read (`GET /v1/programmes/{id}`): without it "
        "428; when another revision was made since, 412."
    ),
) -> ProgrammeRevisionPublic:
    revision = await revisions.revise(
        context,
        principal,
        programme_id=programme_id,
        definition=body.definition,
        reason=body.reason,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(revision.row["revision"])
    return _public(revision)


@router.get(
    "/{programme_id}/revisions",
    response_model=Page[ProgrammeRevisionSummary],
    summary="The programme's revisions, newest first (paged)",
    description="Who revised it, when and why; `limit` (default 50, at most 500) a page; "
    "`next_cursor` reads on. Revisions are never changed nor deleted.",
)
async def list_revisions(
    programme_id: str,
    principal: CurrentPrincipal,
    context: Ctx,
    asked: PageQuery,
) -> Page[ProgrammeRevisionSummary]:
    page = await revisions.revisions_page(
        context, programme_id, cursor=asked.cursor, limit=asked.limit
    )
    return Page[ProgrammeRevisionSummary](
        items=[ProgrammeRevisionSummary.model_validate(dict(row)) for row in page.rows],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/{programme_id}/revisions/{revision}",
    response_model=ProgrammeRevisionPublic,
    summary="One revision: the programme as it stood, and what it changed",
    description="`changes` compares with the revision before (none for the first): each "
    "field's path, value before and after.",
)
async def get_revision(
    programme_id: str,
    principal: CurrentPrincipal,
    context: Ctx,
    revision: int = REVISION,
) -> ProgrammeRevisionPublic:
    return _public(await revisions.revision(context, programme_id, revision))


def _public(revision: revisions.Revision) -> ProgrammeRevisionPublic:
    return ProgrammeRevisionPublic(
        **dict(revision.row),
        previous_revision=revision.previous,
        changes=[
            FieldChange(path=change.path, before=change.before, after=change.after)
            for change in revision.changes
        ],
    )
