"""``/v1/experts/{expert_id}``: the province keeps the pool of expert reviewers, with their
region and declared relations (conflicts of interest). (The working-day calendar the public
notice counts on is the registry's: ``/v1/calendars/{year}`` there, docs/calendar.md.)

An expert is created or replaced by PUT. It has no version column, so the ETag is the tag of
the representation a GET sends; replacing needs it in If-Match (two province officials editing
the same expert would otherwise overwrite each other unseen)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Path, Response

from awards.api.deps import Pool
from awards.api.schemas import ExpertPublic, ExpertPut
from awards.handlers import experts
from shared.auth import CurrentPrincipal
from shared.http.etag import check_put_precondition, representation_etag
from shared.http.headers import ETAG, if_match_header, sends

router = APIRouter(tags=["experts"])
EXPERT_ID = Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
IF_MATCH = "The ETag you read, to replace one that exists (without it 428; stale 412)."


def _expert(row: Mapping[str, Any]) -> ExpertPublic:
    return ExpertPublic.model_validate(dict(row))


@router.get("/v1/experts/{expert_id}", response_model=ExpertPublic, responses=sends(200, ETAG))
async def get_expert(
    principal: CurrentPrincipal, pool: Pool, response: Response, expert_id: str = EXPERT_ID
) -> ExpertPublic:
    expert = _expert(await experts.read_expert(pool, principal, expert_id))
    response.headers["ETag"] = representation_etag(expert)
    return expert


@router.put("/v1/experts/{expert_id}", response_model=ExpertPublic, responses=sends(200, ETAG))
async def put_expert(
    body: ExpertPut,
    principal: CurrentPrincipal,
    pool: Pool,
    response: Response,
    expert_id: str = EXPERT_ID,
    if_match: str | None = if_match_header(description=IF_MATCH),
) -> ExpertPublic:
    def precondition(current: Mapping[str, Any] | None) -> None:
        check_put_precondition(
            if_match, None if current is None else representation_etag(_expert(current))
        )

    row = await experts.put_expert(
        pool,
        principal,
        expert_id,
        experts.ExpertFields(**body.model_dump()),
        precondition=precondition,
    )
    expert = _expert(row)
    response.headers["ETag"] = representation_etag(expert)
    return expert
