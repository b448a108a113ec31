"""The province's use cases on awards (``/v1/rewards``): propose one, run the proposals of a
year, approve, void, record money back, decide what remains, and read the ledger. Each change
writes the ledger's move, its audit record and the Idempotency-Key claim (``before_commit``)
in one transaction (docs/rewards.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import asyncpg

from awards.domain.rewards.ledger import Decision
from awards.domain.rewards.views import AwardView
from awards.domain.rewards.working import yuan
from awards.handlers.rewards import ledger
from awards.handlers.rewards.access import (
    BeforeCommit,
    keeps_rewards_of,
    programme_named,
    province_of,
    refused,
)
from awards.handlers.rewards.finance import Outbox
from awards.handlers.rewards.proposals import propose, propose_for_year
from awards.handlers.rewards.recovery import record_recovery
from awards.handlers.rewards.remainder import decide_remainder
from awards.handlers.rewards.views import reward, rewards_page
from shared import audit
from shared.auth import Principal
from shared.china_time import CHINA
from shared.http import catalogue
from shared.http.pagination import bad_cursor, decode_cursor, encode_cursor
from shared.http.problems import ProblemError, not_found
from shared.i18n import t
from shared.programmes import Programme

# The rules a proposal run computes: those read from annual reports.
REPORT_KINDS = ("sales_milestone", "traffic_subsidy")

# The audit action of each remainder decision: the trail names what the province decided.
REMAINDER_ACTIONS: dict[Decision, str] = {
    "request": "request_reward_remainder",
    "waive": "waive_reward_remainder",
}

# Earlier versions called a settled payment's award "paid"; a filter in that word still works.
STATUS_SYNONYMS = {"paid": "settled"}

REWARD = t("奖补", "reward")


async def propose_award(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    *,
    programme_id: str,
    reward_id: str,
    entity_type: str,
    entity_id: str,
    year: int,
    round_amount: Decimal | None,
    region_code: str | None,
    outbox: Outbox,
    before_commit: BeforeCommit[AwardView],
) -> AwardView:
    """Computes the award from the rules and the facts awards keeps; refused with the reason
    when the entity is not eligible. A newer accepted report after a subsidy gives its
    adjustment."""
    programme = programme_named(programmes, programme_id)
    province_of(principal, programme)
    async with pool.acquire() as connection, connection.transaction():
        try:
            award_id = await propose(
                connection, programme, reward_id=reward_id, entity_type=entity_type,
                entity_id=entity_id, year=year, actor=principal.subject,
                round_amount=round_amount, region_code=region_code, outbox=outbox,
            )  # fmt: skip
        except ledger.LedgerRefusal as refusal:
            raise refused(refusal, extra=refusal.extra) from refusal
        created = await _written(connection, award_id)
        award = created.award
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action="propose_reward",
            resource_type="reward", resource_id=award_id, region_code=created.region_code,
            after={
                "reward_id": award["reward_id"], "entity_id": award["entity_id"],
                "year": award["year"], "max_amount": str(created.max_amount),
            },
            details={"working": created.working},
        )  # fmt: skip
        await before_commit(connection, created)
    return created


async def propose_for_a_year(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    *,
    programme_id: str,
    reward_id: str,
    year: int,
    outbox: Outbox,
    before_commit: BeforeCommit[dict[str, list[dict[str, str]]]],
) -> dict[str, list[dict[str, str]]]:
    """核算 a year: proposes the rule for every entity with an accepted report that year (and
    the adjustments of corrected reports), saying why each other entity is not eligible."""
    programme = programme_named(programmes, programme_id)
    province_of(principal, programme)
    if reward_id not in {r.id for r in programme.rewards if r.kind in REPORT_KINDS}:
        raise ProblemError(
            catalogue.NOT_A_REPORT_RULE,
            t(
                "测算只计算依据年报的规则（销售额节点、补贴）",
                "a run computes rules read from annual reports (sales milestones, subsidy)",
            ),
        )
    async with pool.acquire() as connection, connection.transaction():
        run = await propose_for_year(
            connection, programme, reward_id=reward_id, year=year, actor=principal.subject,
            outbox=outbox,
        )  # fmt: skip
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action="propose_rewards_for_year",
            resource_type="reward_run", resource_id=f"{programme_id}/{year}/{reward_id}",
            region_code=programme.jurisdiction,
            after={key: len(value) for key, value in run.items()},
            details=run,
        )  # fmt: skip
        await before_commit(connection, run)
    return run


# A ledger move on one award, in the change's transaction, given the award as it was; it
# returns what the audit record adds to its details.
Move = Callable[[asyncpg.Connection, Programme, AwardView], Awaitable[dict[str, Any] | None]]


async def _change(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    award_id: uuid.UUID,
    *,
    action: str,
    move: Move,
    reason: str | None,
    before_commit: BeforeCommit[AwardView],
) -> AwardView:
    async with pool.acquire() as connection, connection.transaction():
        before, programme = _visible(
            programmes, principal, award_id, await reward(connection, award_id)
        )
        try:
            details = await move(connection, programme, before)
        except ledger.LedgerRefusal as refusal:
            raise refused(refusal, extra=refusal.extra) from refusal
        after = await _written(connection, award_id)
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action=action, resource_type="reward",
            resource_id=award_id, region_code=after.region_code, reason=reason,
            before={"status": before.status}, after={"status": after.status},
            details=details,
        )  # fmt: skip
        await before_commit(connection, after)
    return after


async def approve_award(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    award_id: uuid.UUID,
    *,
    amount_fen: int,
    now: dt.datetime,
    outbox: Outbox,
    before_commit: BeforeCommit[AwardView],
) -> AwardView:
    """批准: reserves the amount (budget and entity cap, in the database) and asks finance to
    pay, in the same transaction; a credit record in force on the day (China time) blocks it."""

    async def move(
        connection: asyncpg.Connection, programme: Programme, before: AwardView
    ) -> dict[str, Any]:
        await ledger.approve(
            connection, award_id, amount_fen=amount_fen, actor=principal.subject,
            today=now.astimezone(CHINA).date(), outbox=outbox, programme=programme,
        )  # fmt: skip
        return {"amount": str(yuan(amount_fen)), "reference": None}

    return await _change(
        pool, programmes, principal, award_id, action="approve_reward", move=move, reason=None,
        before_commit=before_commit,
    )  # fmt: skip


async def void_award(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    award_id: uuid.UUID,
    *,
    reason: str,
    before_commit: BeforeCommit[AwardView],
) -> AwardView:
    async def move(connection: asyncpg.Connection, programme: Programme, before: AwardView) -> None:
        await ledger.void(connection, award_id, actor=principal.subject, reason=reason)

    return await _change(
        pool, programmes, principal, award_id, action="void_reward", move=move, reason=reason,
        before_commit=before_commit,
    )  # fmt: skip


async def record_award_recovery(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    award_id: uuid.UUID,
    *,
    amount_fen: int,
    reference: str,
    reason: str | None,
    before_commit: BeforeCommit[AwardView],
) -> AwardView:
    """追回: money this award owes back came back (a receipt, at most what is owed and paid)."""

    async def move(
        connection: asyncpg.Connection, programme: Programme, before: AwardView
    ) -> dict[str, Any]:
        await record_recovery(
            connection, award_id, amount_fen=amount_fen, reference=reference,
            actor=principal.subject, reason=reason,
        )  # fmt: skip
        return {"amount": str(yuan(amount_fen)), "reference": reference}

    return await _change(
        pool, programmes, principal, award_id, action="record_recovery", move=move,
        reason=reason, before_commit=before_commit,
    )  # fmt: skip


async def decide_award_remainder(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    award_id: uuid.UUID,
    *,
    decision: Decision,
    reason: str,
    outbox: Outbox,
    before_commit: BeforeCommit[AwardView],
) -> AwardView:
    """What remains of an award approved for less: requested as an award of its own, or
    waived; decided once, after finance settled the approved payment."""

    async def move(
        connection: asyncpg.Connection, programme: Programme, before: AwardView
    ) -> dict[str, Any]:
        rest = await decide_remainder(
            connection, award_id, decision=decision, reason=reason, actor=principal.subject,
            outbox=outbox,
        )  # fmt: skip
        details = {"remaining": str(before.max_amount - (before.approved or 0))}
        if rest is not None:
            details["remainder_award_id"] = str(rest)
        return details

    return await _change(
        pool, programmes, principal, award_id, action=REMAINDER_ACTIONS[decision], move=move,
        reason=reason, before_commit=before_commit,
    )  # fmt: skip


async def award_of(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    award_id: uuid.UUID,
) -> AwardView:
    async with pool.acquire() as connection:
        found = await reward(connection, award_id)
    return _visible(programmes, principal, award_id, found)[0]


def _visible(
    programmes: Mapping[str, Programme],
    principal: Principal,
    award_id: uuid.UUID,
    found: AwardView | None,
) -> tuple[AwardView, Programme]:
    """The award and its programme, if the caller may see it. An award of another province,
    or any award for a caller who is not its province, is answered as one that does not
    exist: a 403 would confirm that the id names an award."""
    programme = programmes.get(found.programme_id) if found is not None else None
    if found is None or programme is None or not keeps_rewards_of(principal, programme):
        raise not_found(REWARD, str(award_id))
    return found, programme


async def awards_of(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    *,
    programme_id: str,
    year: int | None,
    entity_id: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AwardView], str | None]:
    """The ledger, newest first: each award with its working and every entry, and the cursor
    of the next page (None on the last)."""
    province_of(principal, programme_named(programmes, programme_id))
    after: tuple[dt.datetime, uuid.UUID] | None = None
    if cursor:
        position = decode_cursor(cursor)
        try:
            after = (
                dt.datetime.fromisoformat(str(position["proposed_at"])),
                uuid.UUID(str(position["id"])),
            )
        except (KeyError, ValueError) as exc:
            raise bad_cursor() from exc
    async with pool.acquire() as connection:
        items = await rewards_page(
            connection, programme_id=programme_id, year=year, entity_id=entity_id,
            status=STATUS_SYNONYMS.get(status, status) if status else None, limit=limit,
            after=after,
        )  # fmt: skip
    next_cursor = None
    if len(items) == limit:
        last = items[-1].award
        next_cursor = encode_cursor(
            {"proposed_at": last["proposed_at"].isoformat(), "id": str(last["id"])}
        )
    return items, next_cursor


async def _written(connection: asyncpg.Connection, award_id: uuid.UUID) -> AwardView:
    """The award just written in this transaction, as it now reads."""
    found = await reward(connection, award_id)
    if found is None:
        raise LookupError(f"award {award_id} is not there after it was written")
    return found
