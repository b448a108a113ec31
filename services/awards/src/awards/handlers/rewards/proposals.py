"""Propose an award: gather the facts awards keeps (designations, accepted reports, statistics
list, enterprise kinds, earlier awards), apply the calculator, and write the award with its
working. Figures come only from accepted reports, never from the request."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg

from awards.db import rewards as sql
from awards.domain.rewards.calculator import (
    PriorMilestone,
    designation_reward,
    rule,
    sales_milestone,
    traffic_subsidy,
)
from awards.domain.rewards.ledger import idempotency_key
from awards.domain.rewards.working import AcceptedReport, Ineligible, Proposal, to_fen, yuan
from awards.handlers.rewards.finance import Outbox, announce_recovery
from awards.handlers.rewards.ledger import LedgerRefusal, void
from shared.http import catalogue
from shared.i18n import t
from shared.programmes import (
    DesignationReward,
    Programme,
    SalesMilestoneReward,
    StatisticsListEntryReward,
    TrafficSubsidy,
)


class NotEligible(LedgerRefusal):
    kind = catalogue.NOT_ELIGIBLE


class AlreadyAwarded(LedgerRefusal):
    kind = catalogue.ALREADY_AWARDED


async def report_of(
    connection: asyncpg.Connection, programme_id: str, entity_id: str, year: int
) -> AcceptedReport:
    row = await connection.fetchrow(sql.LATEST_ACCEPTED_REPORT, programme_id, entity_id, year)
    if row is None:
        raise NotEligible(
            t(
                f"{entity_id} 没有经审核通过的{year}年度年报",
                f"no accepted annual report of {entity_id} for {year}",
            )
        )
    figures = {key: Decimal(str(value)) for key, value in row["figures"].items()}
    return AcceptedReport(row["report_id"], row["version"], row["year"], figures)


async def _listed(connection: asyncpg.Connection, entity_id: str, year: int) -> bool:
    return bool(await connection.fetchval(sql.IN_STATISTICS_LIST, entity_id, year))


def _refuse(result: Proposal | Ineligible) -> Proposal:
    if isinstance(result, Ineligible):
        raise NotEligible(result.reason, reward_id=result.reward_id, inputs=result.inputs)
    return result


async def propose(
    connection: asyncpg.Connection,
    programme: Programme,
    *,
    reward_id: str,
    entity_type: str,
    entity_id: str,
    year: int,
    actor: str,
    round_amount: Decimal | None = None,
    region_code: str | None = None,
    outbox: Outbox = Outbox(),
) -> uuid.UUID:
    """Writes a proposed award (or a subsidy adjustment) and returns its id."""
    try:
        reward = rule(programme, reward_id)
    except KeyError as exc:
        raise NotEligible(
            t(
                f"规划 {programme.id} 没有奖补 {reward_id}",
                f"{programme.id} has no reward {reward_id}",
            )
        ) from exc
    report: AcceptedReport | None = None
    adjusts: uuid.UUID | None = None
    previous_version: int | None = None
    cap_group, cap_year = reward_id, 0
    if isinstance(reward, DesignationReward):
        if reward.category is not None:
            designation = await connection.fetchrow(
                sql.ACTIVE_DESIGNATION, programme.id, reward.category, entity_type, entity_id
            )
            if designation is None:
                raise NotEligible(
                    t(
                        f"{entity_id} 未获 {reward.category} 类示范认定",
                        f"{entity_id} holds no {reward.category} designation",
                    )
                )
            region_code = designation["region_code"]
        proposal = _refuse(designation_reward(reward, year=year, round_amount=round_amount))
        cap_fen = to_fen(proposal.amount)
    elif isinstance(reward, StatisticsListEntryReward):
        if not await _listed(connection, entity_id, year) or await _listed(
            connection, entity_id, year - 1
        ):
            raise NotEligible(
                t(
                    f"{entity_id} 并非{year}年新纳入限额以上统计",
                    f"{entity_id} did not newly enter the 限额以上 list in {year}",
                )
            )
        proposal = _refuse(designation_reward(reward, year=year, round_amount=round_amount))
        cap_fen = to_fen(proposal.amount)
    elif isinstance(reward, SalesMilestoneReward):
        report = await report_of(connection, programme.id, entity_id, year)
        prior = [
            PriorMilestone(row["reward_id"], yuan(row["amount_fen"]))
            for row in await connection.fetch(
                sql.ACTIVE_MILESTONES, programme.id, entity_type, entity_id
            )
        ]
        proposal = _refuse(sales_milestone(programme, report=report, prior=prior))
        tiers = [r for r in programme.rewards if isinstance(r, SalesMilestoneReward)]
        top = max(t.max_amount for t in tiers)
        total = sum((t.max_amount for t in tiers), Decimal(0))
        cap_group = "sales_milestone"  # one cap over all tiers: the difference rule, enforced
        cap_fen = to_fen(top if reward.pays_difference else total)
    elif isinstance(reward, TrafficSubsidy):
        report = await report_of(connection, programme.id, entity_id, year)
        kinds = await connection.fetchval(sql.KINDS, entity_id) or []
        earlier = await connection.fetchrow(sql.SUBSIDY_OF_YEAR, programme.id, entity_id, year)
        already: Decimal | None = None
        if earlier is not None:
            if earlier["recovery_flagged"]:  # revoked: owed back, never topped up again
                raise NotEligible(
                    t(
                        # the stored reason may be in either language; award_id leads to it
                        f"{year}年度补贴已标记为待追回",
                        f"the {year} subsidy is flagged for recovery: {earlier['status_reason']}",
                    ),
                    award_id=str(earlier["id"]),
                )
            adjusted = await connection.fetchval(sql.LATEST_ADJUSTED_VERSION, earlier["id"])
            last_version = max(earlier["report_version"], adjusted or 0)
            if report.version <= last_version:
                raise AlreadyAwarded(
                    t(
                        f"{year}年度补贴已按第{last_version}版年报核定",
                        f"the {year} subsidy is awarded on report version {last_version}",
                    ),
                    award_id=str(earlier["id"]),
                )
            if earlier["status"] == "proposed":
                # Nothing reserved yet: the stale proposal is voided (an entry, with the reason)
                # and the subsidy proposed afresh on the corrected report.
                await void(
                    connection, earlier["id"], actor=actor,
                    reason=f"superseded by report {report.report_id} version {report.version}",
                )  # fmt: skip
            else:
                adjusts, previous_version = earlier["id"], last_version
                committed = await connection.fetchval(sql.COMMITTED, adjusts)
                already = yuan(committed or 0)
                await _supersede_adjustments(connection, adjusts, report, actor=actor)
        proposal = _refuse(
            traffic_subsidy(
                reward,
                report=report,
                in_statistics_list=await _listed(connection, entity_id, year),
                cross_border="cross_border" in kinds,
                already_awarded=already,
                previous_version=previous_version,
            )
        )
        cap_year, cap_fen = year, to_fen(reward.cap_per_enterprise)
    else:
        raise NotEligible(
            t(f"{reward_id} 为荣誉称号，不涉及资金", f"{reward_id} is a title, not a payment")
        )
    return await insert(
        connection,
        programme_id=programme.id,
        proposal=proposal,
        entity_type=entity_type,
        entity_id=entity_id,
        region_code=region_code,
        cap=(cap_group, cap_year, cap_fen),
        report=report,
        adjusts=adjusts,
        actor=actor,
        outbox=outbox,
    )


async def _supersede_adjustments(
    connection: asyncpg.Connection, adjusts: uuid.UUID, report: AcceptedReport, *, actor: str
) -> None:
    """An adjustment still only proposed was computed on a report since corrected again: voided
    (nothing was reserved), so approving it can never pay on stale figures."""
    for stale in await connection.fetch(sql.PROPOSED_ADJUSTMENTS, adjusts):
        await void(
            connection, stale["id"], actor=actor,
            reason=f"superseded by report {report.report_id} version {report.version}",
        )  # fmt: skip


async def insert(
    connection: asyncpg.Connection,
    *,
    programme_id: str,
    proposal: Proposal,
    entity_type: str,
    entity_id: str,
    region_code: str | None,
    cap: tuple[str, int, int],
    report: AcceptedReport | None,
    adjusts: uuid.UUID | None,
    actor: str,
    outbox: Outbox = Outbox(),
) -> uuid.UUID:
    award_id = uuid.uuid4()
    amount_fen = to_fen(proposal.amount) if proposal.amount >= 0 else -to_fen(-proposal.amount)
    if adjusts is not None and amount_fen == 0:
        raise NotEligible(
            t("更正后的年报未改变补贴金额", "the corrected report changes nothing"),
            adjusts=str(adjusts),
        )
    status = "recovery_due" if amount_fen < 0 else "proposed"
    key = idempotency_key(
        programme_id, entity_type, entity_id, proposal.kind, proposal.year, proposal.tier
    )
    inserted = await connection.fetchval(
        sql.INSERT_AWARD,
        award_id, programme_id, proposal.reward_id, proposal.kind, entity_type, entity_id,
        region_code, proposal.year, proposal.tier, *cap, amount_fen, proposal.working.as_json(),
        None if report is None else report.report_id, None if report is None else report.version,
        adjusts, key, status, actor,
    )  # fmt: skip
    if inserted is None:
        raise AlreadyAwarded(
            t(
                f"{entity_id} 已获 {proposal.reward_id}（{proposal.tier}）",
                f"{entity_id} already has {proposal.reward_id} for {proposal.tier}",
            )
        )
    await connection.execute(
        sql.INSERT_ENTRY, award_id, 0, "proposed", amount_fen, actor, None,
        proposal.working.as_json(),
    )  # fmt: skip
    if amount_fen < 0:  # a corrected report lowered a paid subsidy: recover the difference
        reason = "corrected report lowers the subsidy"
        await connection.execute(
            sql.INSERT_ENTRY, award_id, 0, "recovery_flagged", -amount_fen, actor, reason, {},
        )  # fmt: skip
        award = await connection.fetchrow(sql.AWARD, award_id)
        await announce_recovery(
            connection, outbox, award=award, amount_fen=-amount_fen, reason=reason
        )
    return award_id


async def propose_for_year(
    connection: asyncpg.Connection,
    programme: Programme,
    *,
    reward_id: str,
    year: int,
    actor: str,
    outbox: Outbox = Outbox(),
) -> dict[str, list[dict[str, str]]]:
    """核算: every entity with an accepted report for the year, each in its own savepoint; a
    newer report version after a subsidy gives its adjustment. Returns what happened to each."""
    outcome: dict[str, list[dict[str, str]]] = {"proposed": [], "not_eligible": [], "already": []}
    for row in await connection.fetch(sql.REPORTED_ENTITIES, programme.id, year):
        entity = {"entity_id": row["entity_id"], "entity_type": row["entity_type"]}
        try:
            async with connection.transaction():
                award_id = await propose(
                    connection, programme, reward_id=reward_id, entity_type=row["entity_type"],
                    entity_id=row["entity_id"], year=year, actor=actor, outbox=outbox,
                )  # fmt: skip
        except AlreadyAwarded as refusal:
            outcome["already"].append({**entity, "reason": refusal.detail.en})
        except NotEligible as refusal:
            outcome["not_eligible"].append({**entity, "reason": refusal.detail.en})
        else:
            outcome["proposed"].append({**entity, "award_id": str(award_id)})
    return outcome
