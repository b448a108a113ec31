"""``/v1/rewards``: the province proposes awards (computed from the programme's rules and
accepted reports, with their working), approves them (reserve + payment request), voids unpaid
ones, decides what remains of an award approved for less (request or waive), records money
owed back as it comes back (追回) and reads the ledger. Every change writes its audit record
and claims its Idempotency-Key in its own transaction (docs/rewards.md)."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
from fastapi import APIRouter, Query, Request, status

from awards.api.deps import Pool, Programmes, ledger_problem
from awards.rewards import ledger, queries
from awards.rewards.finance import Outbox
from awards.rewards.proposals import propose, propose_for_year
from awards.rewards.recovery import record_recovery
from awards.rewards.remainder import Decision, decide_remainder
from awards.rewards.schemas import (
    ApprovalCreate,
    ProposalCreate,
    ProposalRun,
    ProposalRunCreate,
    RecoveryCreate,
    RemainderCreate,
    RewardPublic,
    VoidCreate,
)
from awards.rewards.views import reward, rewards_with_entries
from awards.rewards.working import to_fen, yuan
from shared import audit
from shared.auth import CurrentPrincipal, Principal
from shared.auth.roles import Role
from shared.auth.scope import may_act_on_region
from shared.china_time import CHINA
from shared.http import catalogue
from shared.http.clock import get_now
from shared.http.idempotency import claim_idempotency_key
from shared.http.pagination import Page, bad_cursor, decode_cursor, encode_cursor
from shared.http.problems import ProblemError, forbidden, not_found
from shared.i18n import t
from shared.programmes import Programme

router = APIRouter(tags=["rewards"])
NOT_FOUND = {404: {"description": "no such programme or award"}}
REFUSED = {**NOT_FOUND, 409: {"description": "refused by the ledger; the problem says why"}}
REPORT_KINDS = ("sales_milestone", "traffic_subsidy")
KINDS = "^(designation|sales_milestone|traffic_subsidy|statistics_list_entry)$"


def province_of(principal: Principal, programme: Programme) -> None:
    if Role.province_admin not in principal.roles or not may_act_on_region(
        principal, programme.jurisdiction, write=True
    ):
        raise forbidden(
            t(
                "奖补由规划所属省份的省商务厅办理",
                "rewards are the province's (省商务厅) of the programme's jurisdiction",
            )
        )


# The audit action of each remainder decision: the trail names what the province decided.
REMAINDER_ACTIONS: dict[str, Decision] = {
    "request_reward_remainder": "request",
    "waive_reward_remainder": "waive",
}

# Earlier versions called a settled payment's award "paid"; a filter in that word still works.
STATUS_SYNONYMS = {"paid": "settled"}


def programme_named(programmes: dict[str, Programme], programme_id: str) -> Programme:
    if programme_id not in programmes:
        raise not_found(t("规划", "programme"), programme_id)
    return programmes[programme_id]


def _refused(refusal: ledger.LedgerRefusal) -> ProblemError:
    return ledger_problem(refusal, extra=refusal.extra)


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
) -> RewardPublic:
    """Computes the award from the rules and the facts awards keeps; 422 with the reason when
    the entity is not eligible. A newer accepted report after a subsidy gives its adjustment."""
    programme = programme_named(programmes, body.programme_id)
    province_of(principal, programme)
    async with pool.acquire() as connection, connection.transaction():
        try:
            award_id = await propose(
                connection, programme, reward_id=body.reward_id, entity_type=body.entity_type,
                entity_id=body.entity_id, year=body.year, actor=principal.subject,
                round_amount=body.round_amount, region_code=body.region_code,
                outbox=Outbox.of(request.app.state.settings),
            )  # fmt: skip
        except ledger.LedgerRefusal as refusal:
            raise _refused(refusal) from refusal
        created = await reward(connection, award_id)
        assert created is not None
        content = created.model_dump(mode="json")
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action="propose_reward",
            resource_type="reward", resource_id=award_id, region_code=created.region_code,
            after={k: content[k] for k in ("reward_id", "entity_id", "year", "max_amount")},
            details={"working": created.working},
        )  # fmt: skip
        await claim_idempotency_key(connection, request, status_code=201, content=content)
    return created


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
) -> ProposalRun:
    """核算 a year: proposes the rule for every entity with an accepted report that year (and
    the adjustments of corrected reports), saying why each other entity is not eligible."""
    programme = programme_named(programmes, body.programme_id)
    province_of(principal, programme)
    if body.reward_id not in {r.id for r in programme.rewards if r.kind in REPORT_KINDS}:
        raise ProblemError(
            catalogue.NOT_A_REPORT_RULE,
            t(
                "测算只计算依据年报的规则（销售额节点、补贴）",
                "a run computes rules read from annual reports (sales milestones, subsidy)",
            ),
        )
    async with pool.acquire() as connection, connection.transaction():
        run = ProposalRun(
            **await propose_for_year(
                connection, programme, reward_id=body.reward_id, year=body.year,
                actor=principal.subject, outbox=Outbox.of(request.app.state.settings),
            )
        )  # fmt: skip
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action="propose_rewards_for_year",
            resource_type="reward_run", resource_id=f"{body.programme_id}/{body.year}/{body.reward_id}",
            region_code=programme.jurisdiction,
            after={key: len(value) for key, value in run.model_dump().items()},
            details=run.model_dump(),
        )  # fmt: skip
        await claim_idempotency_key(
            connection, request, status_code=200, content=run.model_dump(mode="json")
        )
    return run


async def _change(
    request: Request,
    pool: asyncpg.Pool,
    programmes: dict[str, Programme],
    principal: Principal,
    award_id: uuid.UUID,
    action: str,
    reason: str | None = None,
    amount: int | None = None,
    reference: str | None = None,
) -> RewardPublic:
    details = None if amount is None else {"amount": str(yuan(amount)), "reference": reference}
    async with pool.acquire() as connection, connection.transaction():
        before = await reward(connection, award_id)
        if before is None:
            raise not_found(t("奖补", "reward"), str(award_id))
        province_of(principal, programme_named(programmes, before.programme_id))
        try:
            if action == "approve_reward":
                assert amount is not None
                await ledger.approve(
                    connection, award_id, amount_fen=amount, actor=principal.subject,
                    today=(await get_now(request)).astimezone(CHINA).date(),
                    outbox=Outbox.of(request.app.state.settings),
                    programme=programme_named(programmes, before.programme_id),
                )  # fmt: skip
            elif action in REMAINDER_ACTIONS:
                assert reason is not None
                rest = await decide_remainder(
                    connection, award_id, decision=REMAINDER_ACTIONS[action], reason=reason,
                    actor=principal.subject, outbox=Outbox.of(request.app.state.settings),
                )  # fmt: skip
                details = {"remaining": str(before.max_amount - (before.approved or 0))}
                if rest is not None:
                    details["remainder_award_id"] = str(rest)
            elif action == "record_recovery":
                assert amount is not None and reference is not None
                await record_recovery(
                    connection, award_id, amount_fen=amount, reference=reference,
                    actor=principal.subject, reason=reason,
                )  # fmt: skip
            else:
                await ledger.void(
                    connection, award_id, actor=principal.subject, reason=reason or ""
                )
        except ledger.LedgerRefusal as refusal:
            raise _refused(refusal) from refusal
        after = await reward(connection, award_id)
        assert after is not None
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action=action, resource_type="reward",
            resource_id=award_id, region_code=after.region_code, reason=reason,
            before={"status": before.status}, after={"status": after.status},
            details=details,
        )  # fmt: skip
        await claim_idempotency_key(
            connection, request, status_code=200, content=after.model_dump(mode="json")
        )
    return after


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
) -> RewardPublic:
    """批准: reserves the amount (budget and entity cap, in the database) and asks finance to pay
    (``awards.payment.requested``, same transaction). 409 with the reason when a budget or cap
    would be exceeded, a blocking credit record is in force, or the award is not approvable."""
    return await _change(
        request, pool, programmes, principal, award_id, "approve_reward", None,
        to_fen(body.amount),
    )  # fmt: skip


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
    return await _change(request, pool, programmes, principal, award_id, "void_reward", body.reason)


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
    return await _change(
        request, pool, programmes, principal, award_id, "record_recovery", body.reason,
        to_fen(body.amount), body.reference,
    )  # fmt: skip


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
) -> RewardPublic:
    """What remains of an award approved for less than its amount, once finance settled the
    approved payment: ``request`` makes the rest an award of its own (``<kind>_remainder``,
    ``adjusts`` = this award, its id in ``remainder.award_id``), approved as usual within the
    same cap and budget; ``waive`` records that it will not be paid
    (``awards.payment.remainder_waived``). Never paid automatically; decided once (409 after,
    before settlement, or when nothing remains)."""
    action = {v: k for k, v in REMAINDER_ACTIONS.items()}[body.decision]
    return await _change(request, pool, programmes, principal, award_id, action, body.reason)


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
    province_of(principal, programme_named(programmes, programme_id))
    after_at, after_id = None, None
    if cursor:
        position = decode_cursor(cursor)
        try:
            after_at = dt.datetime.fromisoformat(str(position["proposed_at"]))
            after_id = uuid.UUID(str(position["id"]))
        except (KeyError, ValueError) as exc:
            raise bad_cursor() from exc
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            queries.AWARDS,
            programme_id,
            year,
            entity_id,
            STATUS_SYNONYMS.get(status, status) if status else None,
            limit,
            after_at,
            after_id,
        )
        items = await rewards_with_entries(connection, list(rows))
    next_cursor = None
    if len(items) == limit:
        last = items[-1]
        next_cursor = encode_cursor(
            {"proposed_at": last.proposed_at.isoformat(), "id": str(last.id)}
        )
    return Page[RewardPublic](items=items, next_cursor=next_cursor)


@router.get(
    "/v1/rewards/{award_id}",
    response_model=RewardPublic,
    responses=NOT_FOUND,  # type: ignore[arg-type]
)
async def get_reward(
    award_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool, programmes: Programmes
) -> RewardPublic:
    async with pool.acquire() as connection:
        found = await reward(connection, award_id)
    if found is None:
        raise not_found(t("奖补", "reward"), str(award_id))
    province_of(principal, programme_named(programmes, found.programme_id))
    return found
