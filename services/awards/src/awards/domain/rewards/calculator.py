"""The reward rules, read from the programme file (never restated here), applied to facts.

Pure: no I/O. Each function returns a :class:`Proposal` showing its working, or an
:class:`Ineligible` with the reason. Amounts are caps the province decides within
("不超过"); the ledger enforces them again in the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from awards.domain.rewards.working import FEN, AcceptedReport, Ineligible, Proposal, Working
from shared.i18n import Text, t
from shared.programmes import (
    DesignationReward,
    Programme,
    SalesMilestoneReward,
    StatisticsListEntryReward,
    TitleAward,
    TrafficSubsidy,
)
from shared.programmes.common import SourceRef


def _source(ref: SourceRef) -> str:
    return f"{ref.file} {ref.section}"


def rule(programme: Programme, reward_id: str) -> object:
    for reward in programme.rewards:
        if reward.id == reward_id:
            return reward
    raise KeyError(reward_id)


def designation_reward(
    reward: DesignationReward | StatisticsListEntryReward,
    *,
    year: int,
    round_amount: Decimal | None = None,
) -> Proposal | Ineligible:
    """One-time reward for a designation (004 四(二)2: park ≤ 300万, base ≤ 50万, enterprise and
    team ≤ 5万, to the operator) or for a Qinghai designation or 限额以上 entry (000 二(一)1),
    whose amount the province sets per round (三(二): 以每年项目申报指南为准)."""
    if reward.max_amount is not None and round_amount is not None:
        cap = min(reward.max_amount, round_amount)
        reason = "the lower of the programme cap and the round's amount"
    elif reward.max_amount is not None:
        cap, reason = reward.max_amount, "programme cap"
    elif round_amount is not None:
        cap, reason = round_amount, "amount set for the round"
    else:
        return Ineligible(
            reward.id,
            t(
                "奖补金额由省商务厅按轮次确定，本轮尚未给出",
                "the amount is set per round by the province; none given",
            ),
        )
    return Proposal(
        reward_id=reward.id,
        kind=reward.kind,
        tier=reward.id,
        year=year,
        working=Working(
            rule=reward.id,
            rule_name=reward.name,
            source=_source(reward.source_ref),
            inputs={
                "programme_cap": None if reward.max_amount is None else str(reward.max_amount),
                "round_amount": None if round_amount is None else str(round_amount),
            },
            cap=cap,
            cap_reason=reason,
            amount=cap,
        ),
    )


@dataclass(frozen=True)
class PriorMilestone:
    """A sales tier already awarded to the entity (reserved or paid, not voided)."""

    reward_id: str
    amount: Decimal


def sales_milestone(
    programme: Programme, *, report: AcceptedReport, prior: Sequence[PriorMilestone] = ()
) -> Proposal | Ineligible:
    """年销售额达50亿元、10亿元的一次性分别给予不超过300万、100万奖励 (004 四(二)3).

    Once per tier per entity: only tiers above the highest already awarded count, and of those
    the highest reached is proposed (lower tiers reached with it are passed over, never paid
    later). With ``pays_difference`` its cap is reduced by what lower tiers were awarded."""
    tiers = sorted(
        (r for r in programme.rewards if isinstance(r, SalesMilestoneReward)),
        key=lambda r: r.threshold,
    )
    if not tiers:
        return Ineligible(
            "sales-milestone",
            t("该规划未设销售额节点奖励", "the programme has no sales milestones"),
        )
    indicator = tiers[0].sales_indicator
    if indicator not in report.figures:
        return Ineligible(
            tiers[0].id,
            t(f"已审核通过的年报中没有指标 {indicator}", f"the accepted report has no {indicator}"),
        )
    sales = report.figures[indicator]
    by_id = {tier.id: tier for tier in tiers}
    awarded = [p for p in prior if p.reward_id in by_id]
    highest_awarded = max((by_id[p.reward_id].threshold for p in awarded), default=Decimal(-1))
    reached = [t for t in tiers if t.comparison.holds(sales, t.threshold)]
    open_tiers = [t for t in reached if t.threshold > highest_awarded]
    inputs = {"sales": report.source(indicator), "prior": [
        {"reward_id": p.reward_id, "amount": str(p.amount)} for p in awarded
    ]}  # fmt: skip
    if not reached:
        return Ineligible(
            tiers[0].id,
            t(
                f"销售额{sales}元低于{tiers[0].threshold}元",
                f"sales {sales} below {tiers[0].threshold}",
            ),
            inputs,
        )
    if not open_tiers:
        return Ineligible(
            reached[-1].id,
            t("已达到的各档奖励均已发放", "every tier reached was already awarded"),
            inputs,
        )
    top = open_tiers[-1]
    earlier = sum((p.amount for p in awarded), Decimal(0))
    cap = top.max_amount - earlier if top.pays_difference else top.max_amount
    notes = tuple(f"{t.id} reached with {top.id}: passed over" for t in open_tiers[:-1])
    if cap <= 0:
        return Ineligible(
            top.id,
            t(
                f"较低档次已发放{earlier}元，不低于本档上限{top.max_amount}元",
                f"lower tiers already paid {earlier} ≥ {top.max_amount}",
            ),
            inputs,
        )
    reason = (
        f"{top.max_amount} less {earlier} awarded for lower tiers (pays_difference)"
        if top.pays_difference and earlier
        else "programme cap"
    )
    return Proposal(
        reward_id=top.id,
        kind=top.kind,
        tier=top.id,
        year=report.year,
        working=Working(
            rule=top.id,
            rule_name=top.name,
            source=_source(top.source_ref),
            inputs={**inputs, "threshold": str(top.threshold)},
            cap=cap,
            cap_reason=reason,
            amount=cap,
            notes=notes,
        ),
    )


def subsidy_amount(reward: TrafficSubsidy, basis: Decimal) -> Decimal:
    """每实现1万元最高给予5元 … 每家企业最高补贴不超过100万元 (004 四(二)3)."""
    units = basis / reward.unit_amount
    if not reward.count_partial_unit:
        units = units.to_integral_value(rounding=ROUND_DOWN)
    earned = (units * reward.amount_per_unit).quantize(FEN, rounding=ROUND_DOWN)
    return min(earned, reward.cap_per_enterprise)


def traffic_subsidy(
    reward: TrafficSubsidy,
    *,
    report: AcceptedReport,
    in_statistics_list: bool,
    cross_border: bool,
    already_awarded: Decimal | None = None,
    previous_version: int | None = None,
) -> Proposal | Ineligible:
    """流量补贴 for 上规入统 enterprises, not cross-border, with ≥ 1亿 商品网络零售额 in the
    year (004 四(二)3). With ``already_awarded`` (a corrected report after an award, whose
    report version was ``previous_version``) the proposal is the adjustment: the new amount
    less what was awarded, possibly negative; a correction that makes the enterprise
    ineligible means nothing was due, so it recovers all of it."""
    basis_name = reward.basis_indicator
    inputs: dict[str, object] = {
        "in_statistics_list": in_statistics_list,
        "cross_border": cross_border,
    }
    basis = report.figures.get(basis_name)
    if basis is not None:
        inputs["basis"] = report.source(basis_name)
    threshold = reward.eligibility
    refusal: Text | None = None
    if reward.requires_statistics_listing and not in_statistics_list:
        refusal = t("未纳入限额以上统计（上规入统）", "not in the statistics list (上规入统)")
    elif reward.excludes_cross_border and cross_border:
        refusal = t(
            "跨境电商企业不在补贴范围内", "cross-border e-commerce is excluded (不含跨境电商)"
        )
    elif basis is None:
        refusal = t(
            f"已审核通过的年报中没有指标 {basis_name}", f"the accepted report has no {basis_name}"
        )
    elif not threshold.comparison.holds(basis, threshold.value):
        refusal = t(
            f"指标 {basis_name} 为{basis}，低于{threshold.value}",
            f"{basis_name} {basis} below {threshold.value}",
        )
    if refusal is not None and already_awarded is None:
        return Ineligible(reward.id, refusal, inputs)
    earned = Decimal(0) if basis is None or refusal else subsidy_amount(reward, basis)
    capped = earned == reward.cap_per_enterprise
    notes: tuple[str, ...] = ()
    amount = earned
    tier = str(report.year)
    if already_awarded is not None:
        amount = earned - already_awarded
        tier = f"{report.year}-v{report.version}"
        notes = (f"adjustment: {earned} now due less {already_awarded} awarded before",)
        if refusal:
            notes += (f"nothing due on the corrected report: {refusal.en}",)
        inputs["already_awarded"] = str(already_awarded)
        inputs["previous_report_version"] = previous_version
    units = "partial units pro rata" if reward.count_partial_unit else "full units only"
    per_unit = f"{reward.amount_per_unit} per {reward.unit_amount}"
    return Proposal(
        reward_id=reward.id,
        kind="traffic_subsidy" if already_awarded is None else "traffic_subsidy_adjustment",
        tier=tier,
        year=report.year,
        working=Working(
            rule=reward.id,
            rule_name=reward.name,
            source=_source(reward.source_ref),
            inputs={**inputs, "per_unit": per_unit, "units": units},
            cap=reward.cap_per_enterprise,
            cap_reason="per enterprise per year" + (" (reached)" if capped else ""),
            amount=amount,
            notes=notes,
        ),
    )


def milestone_correction(
    programme: Programme,
    *,
    tier_id: str,
    awarded: Decimal,
    previous_version: int,
    report: AcceptedReport,
) -> Proposal | None:
    """A sales tier awarded on an earlier version of a report, checked against its corrected
    version: still reached, nothing changes (None; a higher tier is a proposal of its own);
    no longer reached, what the tier awarded is owed back (an adjustment, negative)."""
    tier = rule(programme, tier_id)
    if not isinstance(tier, SalesMilestoneReward):
        raise TypeError(f"{tier_id} is not a sales milestone of {programme.id}")
    indicator = tier.sales_indicator
    sales = report.figures.get(indicator)
    if sales is not None and tier.comparison.holds(sales, tier.threshold):
        return None
    below = f"{indicator} {sales} below {tier.threshold}" if sales is not None else None
    return Proposal(
        reward_id=tier.id,
        kind="sales_milestone_adjustment",
        tier=f"{tier.id}-{report.year}-v{report.version}",
        year=report.year,
        working=Working(
            rule=tier.id,
            rule_name=tier.name,
            source=_source(tier.source_ref),
            inputs={
                "sales": report.source(indicator) if sales is not None else None,
                "threshold": str(tier.threshold),
                "already_awarded": str(awarded),
                "previous_report_version": previous_version,
            },
            cap=tier.max_amount,
            cap_reason="the tier is no longer reached: what it awarded is owed back",
            amount=-awarded,
            notes=(f"corrected report: {below or f'no {indicator}'}",),
        ),
    )


def title_earned(
    reward: TitleAward, *, report: AcceptedReport, indicator: str = "online_retail_sales"
) -> bool:
    """“电子商务发展优秀企业” at ≥ 1亿元 网络零售额 a year (000 二(一)1); a title, no money."""
    value = report.figures.get(indicator)
    return value is not None and reward.eligibility.comparison.holds(
        value, reward.eligibility.value
    )
