"""Every reward rule at and around its boundaries (004 四(二)2-3; 000 二(一)1), read from the
programme files; the calculator shows its working."""

from __future__ import annotations

from decimal import Decimal

import pytest

from awards.domain.rewards.calculator import (
    PriorMilestone,
    designation_reward,
    milestone_correction,
    rule,
    sales_milestone,
    subsidy_amount,
    title_earned,
    traffic_subsidy,
)
from awards.domain.rewards.working import AcceptedReport, Ineligible, Proposal, to_fen
from shared.programmes import (
    DesignationReward,
    Programme,
    StatisticsListEntryReward,
    TitleAward,
    TrafficSubsidy,
)

from .conftest import PROGRAMMES

WAN = Decimal(10_000)
YI = Decimal(100_000_000)


def report(year: int = 2024, version: int = 1, **figures: Decimal) -> AcceptedReport:
    return AcceptedReport(report_id="r-1", version=version, year=year, figures=figures)


@pytest.fixture(scope="module")
def qinghai() -> Programme:
    from shared.programmes import load_programmes

    return load_programmes(PROGRAMMES)["qinghai-2024-2026"]


@pytest.mark.parametrize(
    ("reward_id", "cap"),
    [
        ("park-designation", 300 * WAN),
        ("base-designation", 50 * WAN),
        ("enterprise-designation", 5 * WAN),
        ("team-designation", 5 * WAN),
    ],
)
def test_designation_reward_caps(guizhou: Programme, reward_id: str, cap: Decimal) -> None:
    reward = rule(guizhou, reward_id)
    assert isinstance(reward, DesignationReward)
    proposal = designation_reward(reward, year=2024)
    assert isinstance(proposal, Proposal)
    assert proposal.amount == cap and proposal.tier == reward_id
    assert proposal.working.source.startswith("004_9c19d9a85d8c1f73.txt 四、保障措施（二）2")
    # a round may set less, never more
    lower = designation_reward(reward, year=2024, round_amount=cap - 1)
    higher = designation_reward(reward, year=2024, round_amount=cap + 1)
    assert isinstance(lower, Proposal) and lower.amount == cap - 1
    assert isinstance(higher, Proposal) and higher.amount == cap


def test_qinghai_amounts_are_set_per_round(qinghai: Programme) -> None:
    for reward in qinghai.rewards:
        if isinstance(reward, DesignationReward | StatisticsListEntryReward):
            assert isinstance(designation_reward(reward, year=2024), Ineligible)
            given = designation_reward(reward, year=2024, round_amount=Decimal("80000.00"))
            assert isinstance(given, Proposal) and given.amount == Decimal(80000)


@pytest.mark.parametrize(
    ("online_retail", "title"), [(YI - Decimal("0.01"), False), (YI, True), (2 * YI, True)]
)
def test_qinghai_outstanding_enterprise_title(
    qinghai: Programme, online_retail: Decimal, title: bool
) -> None:
    (reward,) = [r for r in qinghai.rewards if isinstance(r, TitleAward)]
    assert title_earned(reward, report=report(online_retail_sales=online_retail)) is title


@pytest.mark.parametrize(
    ("sales", "tier", "amount"),
    [
        (Decimal("990000000"), None, None),  # 9.9亿
        (Decimal("999999999.99"), None, None),
        (Decimal("1000000000"), "sales-1-billion", 100 * WAN),  # exactly 10亿
        (Decimal("1010000000"), "sales-1-billion", 100 * WAN),
        (Decimal("4999999999.99"), "sales-1-billion", 100 * WAN),
        (Decimal("5000000000"), "sales-5-billion", 300 * WAN),  # exactly 50亿
        (Decimal("7000000000"), "sales-5-billion", 300 * WAN),
    ],
)
def test_sales_milestones_at_boundaries(
    guizhou: Programme, sales: Decimal, tier: str | None, amount: Decimal | None
) -> None:
    result = sales_milestone(guizhou, report=report(online_retail_sales=sales))
    if tier is None:
        assert isinstance(result, Ineligible)
        return
    assert isinstance(result, Proposal)
    assert (result.tier, result.amount) == (tier, amount)
    assert result.working.inputs["sales"]["report_version"] == 1


def test_sales_milestone_difference_rule_across_two_years(guizhou: Programme) -> None:
    first = sales_milestone(guizhou, report=report(2023, online_retail_sales=Decimal("1.2e9")))
    assert isinstance(first, Proposal) and first.amount == 100 * WAN
    prior = [PriorMilestone("sales-1-billion", Decimal(800_000))]  # the province gave 80万
    second = sales_milestone(
        guizhou, report=report(2024, online_retail_sales=Decimal("5e9")), prior=prior
    )
    assert isinstance(second, Proposal)
    assert (second.tier, second.amount) == ("sales-5-billion", Decimal(2_200_000))
    assert "pays_difference" in second.working.cap_reason
    # never the same tier twice: 1.5 bn again in 2025 pays nothing
    again = sales_milestone(
        guizhou, report=report(2025, online_retail_sales=Decimal("1.5e9")), prior=prior
    )
    assert isinstance(again, Ineligible) and "already awarded" in again.reason.en


def test_sales_milestone_without_difference_pays_the_full_higher_tier(
    guizhou: Programme,
) -> None:
    rewards = tuple(
        r.model_copy(update={"pays_difference": False}) if r.kind == "sales_milestone" else r
        for r in guizhou.rewards
    )
    programme = guizhou.model_copy(update={"rewards": rewards})
    prior = [PriorMilestone("sales-1-billion", 100 * WAN)]
    result = sales_milestone(
        programme, report=report(online_retail_sales=Decimal("5e9")), prior=prior
    )
    assert isinstance(result, Proposal) and result.amount == 300 * WAN


def test_sales_milestone_straight_to_the_top_passes_the_lower_tier_over(
    guizhou: Programme,
) -> None:
    result = sales_milestone(guizhou, report=report(online_retail_sales=Decimal("6e9")))
    assert isinstance(result, Proposal) and result.tier == "sales-5-billion"
    assert result.working.notes == ("sales-1-billion reached with sales-5-billion: passed over",)
    later = sales_milestone(
        guizhou,
        report=report(2025, online_retail_sales=Decimal("2e9")),
        prior=[PriorMilestone("sales-5-billion", 300 * WAN)],
    )
    assert isinstance(later, Ineligible)


def subsidy_rule(programme: Programme) -> TrafficSubsidy:
    reward = rule(programme, "traffic-subsidy")
    assert isinstance(reward, TrafficSubsidy)
    return reward


@pytest.mark.parametrize(
    ("basis", "amount"),
    [
        (YI - Decimal("0.01"), None),  # just below 1亿
        (Decimal("99990000"), None),
        (YI, Decimal(50_000)),  # exactly 1亿: 10,000 full units × 5
        (YI + Decimal(9_999), Decimal(50_000)),  # a partial 1万 earns nothing
        (YI + WAN, Decimal(50_005)),
        (Decimal("250000000"), Decimal(125_000)),  # 2.5亿
        (Decimal("2000000000"), Decimal(1_000_000)),  # exactly 20亿 reaches the cap
        (Decimal("2000010000"), Decimal(1_000_000)),  # above: capped
        (Decimal("9000000000"), Decimal(1_000_000)),
    ],
)
def test_traffic_subsidy_at_boundaries(
    guizhou: Programme, basis: Decimal, amount: Decimal | None
) -> None:
    result = traffic_subsidy(
        subsidy_rule(guizhou),
        report=report(physical_goods_online_retail_sales=basis),
        in_statistics_list=True,
        cross_border=False,
    )
    if amount is None:
        assert isinstance(result, Ineligible) and "below" in result.reason.en
        return
    assert isinstance(result, Proposal)
    assert result.amount == amount and result.tier == "2024"
    assert result.working.inputs["basis"] == {
        "indicator": "physical_goods_online_retail_sales",
        "value": str(basis),
        "report_id": "r-1",
        "report_version": 1,
        "year": 2024,
    }
    assert result.working.cap == Decimal(1_000_000)


@pytest.mark.parametrize(
    ("listed", "cross_border", "reason"),
    [(False, False, "statistics list"), (True, True, "cross-border"), (False, True, "statistics")],
)
def test_traffic_subsidy_excludes_unlisted_and_cross_border(
    guizhou: Programme, listed: bool, cross_border: bool, reason: str
) -> None:
    result = traffic_subsidy(
        subsidy_rule(guizhou),
        report=report(physical_goods_online_retail_sales=5 * YI),
        in_statistics_list=listed,
        cross_border=cross_border,
    )
    assert isinstance(result, Ineligible) and reason in result.reason.en


def test_traffic_subsidy_partial_unit_setting(guizhou: Programme) -> None:
    counted = subsidy_rule(guizhou).model_copy(update={"count_partial_unit": True})
    assert subsidy_amount(counted, YI + Decimal(5_000)) == Decimal("50002.50")
    assert subsidy_amount(counted, YI + Decimal(1)) == Decimal("50000.00")  # 0.0005 → 0.00
    assert subsidy_amount(subsidy_rule(guizhou), YI + Decimal(5_000)) == Decimal(50_000)


def test_corrected_report_gives_an_adjustment(guizhou: Programme) -> None:
    corrected = traffic_subsidy(
        subsidy_rule(guizhou),
        report=report(version=2, physical_goods_online_retail_sales=2 * YI),
        in_statistics_list=True,
        cross_border=False,
        already_awarded=Decimal(125_000),
    )
    assert isinstance(corrected, Proposal)
    assert corrected.kind == "traffic_subsidy_adjustment" and corrected.tier == "2024-v2"
    assert corrected.amount == Decimal(-25_000)


def test_corrected_report_below_the_threshold_recovers_the_whole_subsidy(
    guizhou: Programme,
) -> None:
    """A correction is never ineligible: falling below 1亿 means nothing was due."""
    corrected = traffic_subsidy(
        subsidy_rule(guizhou),
        report=report(version=3, physical_goods_online_retail_sales=Decimal("0.5e8")),
        in_statistics_list=True,
        cross_border=False,
        already_awarded=Decimal(150_000),
        previous_version=2,
    )
    assert isinstance(corrected, Proposal)
    assert corrected.kind == "traffic_subsidy_adjustment" and corrected.amount == -150_000
    inputs = corrected.working.inputs
    assert inputs["previous_report_version"] == 2 and inputs["basis"]["report_version"] == 3
    assert any("below" in note for note in corrected.working.notes)


@pytest.mark.parametrize(
    ("sales", "recovered"),
    [("0.99e9", Decimal(1_000_000)), ("1e9", None), ("6e9", None)],
)
def test_a_corrected_report_below_a_paid_milestone_recovers_it(
    guizhou: Programme, sales: str, recovered: Decimal | None
) -> None:
    correction = milestone_correction(
        guizhou,
        tier_id="sales-1-billion",
        awarded=Decimal(1_000_000),
        previous_version=1,
        report=report(version=2, online_retail_sales=Decimal(sales)),
    )
    if recovered is None:
        assert correction is None
        return
    assert isinstance(correction, Proposal)
    assert correction.kind == "sales_milestone_adjustment" and correction.amount == -recovered
    assert correction.tier == "sales-1-billion-2024-v2"
    inputs = correction.working.inputs
    assert inputs["previous_report_version"] == 1 and inputs["sales"]["report_version"] == 2


def test_amounts_are_whole_fen() -> None:
    assert to_fen(Decimal("50002.509")) == 5_000_250
    assert to_fen(Decimal(1_000_000)) == 100_000_000
