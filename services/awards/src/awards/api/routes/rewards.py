"""``/v1/rewards``: the province proposes awards (computed from the programme's rules and
accepted reports, with their working), approves them (reserve + payment request), voids unpaid
ones, decides what remains of an award approved for less (request or waive), records money
owed back as it comes back (追回) and reads the ledger. Every change writes its audit record
and claims its Idempotency-Key in its own transaction (``awards.handlers.rewards.awards``,
docs/rewards.md)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request, status

from awards.api.deps import Pool, Programmes, Settings
from awards.api.reward_schemas import (
    ApprovalCreate,
    ProposalCreate,
    ProposalRun,
    ProposalRunCreate,
    RecoveryCreate,
    RemainderCreate,
    RewardPublic,
    VoidCreate,
    reward_public,
)
from awards.domain.rewards.views import AwardView
from awards.domain.rewards.working import to_fen
from awards.handlers.rewards import awards
from awards.handlers.rewards.access import BeforeCommit
from awards.handlers.rewards.finance import Outbox
from shared.auth import CurrentPrincipal
from shared.http.clock import Now
from shared.http.idempotency import claim_idempotency_key
from shared.http.pagination import Page

router = APIRouter(tags=["rewards"])
NOT_FOUND = {404: {"description": "no such programme or award"}}
REFUSED = {**NOT_FOUND, 409: {"description": "refused by the ledger; the problem says why"}}
KINDS = "^(designation|sales_milestone|traffic_subsidy|statistics_list_entry)$"


def claim(request: Request, status_code: int = 200) -> BeforeCommit[AwardView]:
    """The Idempotency-Key claim with the award as this route answers it."""

    async def claim_with(connection: Any, view: AwardView) -> None:
        content = reward_public(view).model_dump(mode="json")
        await claim_idempotency_key(connection, request, status_code=status_code, content=content)

    return claim_with


@router.post(
    "/v1/rewards/proposals",
    status_code=status.HTTP_201_CREATED,
    response_model=RewardPublic,
    responses=REFUSED,  # type: ignore[arg-type]
)
async def create_proposal(
    request: Request,
    body: ProposalCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
    settings: Settings,
) -> RewardPublic:
    """Computes the award from the rules and the facts awards keeps; 422 with the reason when
    the entity is not eligible. A newer accepted report after a subsidy gives its adjustment."""
    created = await awards.propose_award(
        pool, programmes, principal, programme_id=body.programme_id, reward_id=body.reward_id,
        entity_type=body.entity_type, entity_id=body.entity_id, year=body.year,
        round_amount=body.round_amount, region_code=body.region_code,
        outbox=Outbox.of(settings), before_commit=claim(request, 201),
    )  # fmt: skip
    return reward_public(created)


@router.post(
    "/v1/rewards/proposal-runs",
    response_model=ProposalRun,
    responses=REFUSED,  # type: ignore[arg-type]
)
async def create_proposal_run(
    request: Request,
    body: ProposalRunCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
    settings: Settings,
) -> ProposalRun:
    """核算 a year: proposes the rule for every entity with an accepted report that year (and
    the adjustments of corrected reports), saying why each other entity is not eligible."""

    async def claim_run(connection: Any, run: dict[str, list[dict[str, str]]]) -> None:
        content = ProposalRun(**run).model_dump(mode="json")
        await claim_idempotency_key(connection, request, status_code=200, content=content)

    run = await awards.propose_for_a_year(
        pool, programmes, principal, programme_id=body.programme_id, reward_id=body.reward_id,
        year=body.year, outbox=Outbox.of(settings), before_commit=claim_run,
    )  # fmt: skip
    return ProposalRun(**run)


@router.post(
    "/v1/rewards/{award_id}/approval",
    response_model=RewardPublic,
    responses=REFUSED,  # type: ignore[arg-type]
)
async def approve(
    request: Request,
    award_id: uuid.UUID,
    body: ApprovalCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
    settings: Settings,
    now: Now,
) -> RewardPublic:
    """批准: reserves the amount (budget and entity cap, in the database) and asks finance to pay
    (``awards.payment.requested``, same transaction). 409 with the reason when a budget or cap
    would be exceeded, a blocking credit record is in force, or the award is not approvable."""
    approved = await awards.approve_award(
        pool, programmes, principal, award_id, amount_fen=to_fen(body.amount), now=now,
        outbox=Outbox.of(settings), before_commit=claim(request),
    )  # fmt: skip
    return reward_public(approved)


@router.post(
    "/v1/rewards/{award_id}/void",
    response_model=RewardPublic,
    responses=REFUSED,  # type: ignore[arg-type]
)
async def void(
    request: Request,
    award_id: uuid.UUID,
    body: VoidCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
) -> RewardPublic:
    voided = await awards.void_award(
        pool, programmes, principal, award_id, reason=body.reason, before_commit=claim(request)
    )
    return reward_public(voided)


@router.post(
    "/v1/rewards/{award_id}/recoveries",
    response_model=RewardPublic,
    responses={**REFUSED, 422: {"description": "more than is owed back or than was paid"}},  # type: ignore[dict-item]
)
async def record_recovery_of(
    request: Request,
    award_id: uuid.UUID,
    body: RecoveryCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
) -> RewardPublic:
    """追回: money this award owes back (a revocation, a corrected report that lowered it) came
    back. A ``reversed`` entry per receipt, at most what is still owed and what was paid; the
    budget and the entity's cap get it back. The same receipt twice is a 409."""
    recovered = await awards.record_award_recovery(
        pool, programmes, principal, award_id, amount_fen=to_fen(body.amount),
        reference=body.reference, reason=body.reason, before_commit=claim(request),
    )  # fmt: skip
    return reward_public(recovered)


@router.post(
    "/v1/rewards/{award_id}/remainder",
    response_model=RewardPublic,
    responses=REFUSED,  # type: ignore[arg-type]
)
async def decide_remainder_of(
    request: Request,
    award_id: uuid.UUID,
    body: RemainderCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
    settings: Settings,
) -> RewardPublic:
    """What remains of an award approved for less than its amount, once finance settled the
    approved payment: ``request`` makes the rest an award of its own (``<kind>_remainder``,
    ``adjusts`` = this award, its id in ``remainder.award_id``), approved as usual within the
    same cap and budget; ``waive`` records that it will not be paid
    (``awards.payment.remainder_waived``). Never paid automatically; decided once (409 after,
    before settlement, or when nothing remains)."""
    decided = await awards.decide_award_remainder(
        pool, programmes, principal, award_id, decision=body.decision, reason=body.reason,
        outbox=Outbox.of(settings), before_commit=claim(request),
    )  # fmt: skip
    return reward_public(decided)


@router.get(
    "/v1/rewards",
    response_model=Page[RewardPublic],
    responses={**NOT_FOUND, 400: {"description": "a cursor this API did not issue"}},  # type: ignore[dict-item]
)
async def list_rewards(
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
    programme_id: str = Query(max_length=100),
    year: int | None = Query(default=None, ge=2000, le=2100),
    entity_id: str | None = Query(default=None, max_length=100),
    status: str | None = Query(
        default=None,
        max_length=40,
        description="proposed, payment_requested, settled, failed, voided, recovery_due, "
        "recovered (`paid` is read as `settled`, the word of earlier versions)",
    ),
    limit: int = Query(default=100, ge=1, le=500),
    cursor: str | None = Query(default=None, max_length=200),
) -> Page[RewardPublic]:
    """The ledger: each award with its working and every entry."""
    items, next_cursor = await awards.awards_of(
        pool, programmes, principal, programme_id=programme_id, year=year, entity_id=entity_id,
        status=status, limit=limit, cursor=cursor,
    )  # fmt: skip
    return Page[RewardPublic](
        items=[reward_public(item) for item in items], next_cursor=next_cursor
    )


@router.get(
    "/v1/rewards/{award_id}",
    response_model=RewardPublic,
    responses=NOT_FOUND,  # type: ignore[arg-type]
)
async def get_reward(
    award_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool, programmes: Programmes
) -> RewardPublic:
    return reward_public(await awards.award_of(pool, programmes, principal, award_id))
