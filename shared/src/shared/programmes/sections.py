"""Programme sections beyond the targets: categories, rounds, rewards, evaluation, revocation.

Reporting windows are in :mod:`shared.programmes.reporting`, report templates in
:mod:`shared.programmes.report_templates`.

Each is typed, so the workflow services read fields rather than dictionaries. Where a document
leaves a rule open (the Guizhou indicator systems, annexes 3-5, are not published with it), the
section holds what the document does say and an empty, typed list for the rest.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from shared.programmes.awarding import Awarding
from shared.programmes.common import (
    Comparison,
    Frozen,
    Money,
    Qualifier,
    Slug,
    SourceRef,
    Threshold,
    Unit,
    one_of,
)


class DemonstrationCategory(Frozen):
    """A kind of demonstration project (示范项目) and the title it earns.

    Source: 004_9c19d9a85d8c1f73.txt 三(二)2(1) (the four categories), 四(二)1 (the titles).
    """

    id: Slug
    name: str = Field(min_length=1, description="category as named in the application rules")
    title: str = Field(min_length=1, description="the title granted on designation (称号)")
    application_annexes: tuple[str, ...] = ()
    source_ref: SourceRef


class ReviewStep(StrEnum):
    """Steps an application goes through (004 三(二)2)."""

    city_recommendation = "city_recommendation"  # 市州商务主管部门汇总审核推荐
    document_review = "document_review"  # 资料审核
    site_visit = "site_visit"  # 实地考察
    expert_evaluation = "expert_evaluation"  # 组织评审


class ApplicationRounds(Frozen):
    """How often applications open and how they are reviewed."""

    first_year: int = Field(ge=2000, le=2100)
    last_year: int | None = Field(
        default=None,
        ge=2000,
        le=2100,
        description="the last year a round runs; None: the last year of the programme period",
    )
    rounds_per_year: int = Field(default=1, ge=1)
    categories: tuple[str, ...] = Field(min_length=1)
    submitted_by: str = Field(min_length=1)
    submitted_to: str = Field(min_length=1)
    review_steps: tuple[ReviewStep, ...] = Field(min_length=1)
    awarding: Awarding | None = Field(
        default=None, description="dates, eligibility, materials, panel, notice (awarding.py)"
    )
    source_ref: SourceRef

    @model_validator(mode="after")
    def _years_ordered(self) -> Self:
        if self.last_year is not None and self.last_year < self.first_year:
            raise ValueError("application_rounds: last_year is before first_year")
        return self

    def years(self, period_start_year: int, period_end_year: int) -> range:
        """The years a round runs: from ``first_year`` (not before the period) to
        ``last_year``, or to the period's last year when the programme sets none. A province
        that runs rounds past the targets' horizon sets ``last_year`` (a revision)."""
        last = self.last_year if self.last_year is not None else period_end_year
        return range(max(self.first_year, period_start_year), last + 1)

    def category_ids(self) -> tuple[str, ...]:
        ruled = (
            () if self.awarding is None else tuple(r.category for r in self.awarding.category_rules)
        )
        overridden = (
            ()
            if self.awarding is None
            else tuple(o.category for o in self.awarding.overrides if o.category is not None)
        )
        return self.categories + ruled + overridden


class DesignationReward(Frozen):
    """A one-time reward for being designated (or for a national/provincial designation)."""

    kind: Literal["designation"]
    id: Slug
    name: str = Field(min_length=1)
    designation: str = Field(min_length=1, description="the designation as the document names it")
    category: str | None = Field(default=None, description="demonstration category id, if any")
    max_amount: Money | None = Field(default=None, description="None: set by a yearly guide")
    recipient: str | None = None
    one_time: bool = True
    note: str | None = None
    source_ref: SourceRef

    def category_ids(self) -> tuple[str, ...]:
        return () if self.category is None else (self.category,)


class SalesMilestoneReward(Frozen):
    """A one-time reward when annual sales reach a threshold (004 四(二)3)."""

    kind: Literal["sales_milestone"]
    id: Slug
    name: str = Field(min_length=1)
    threshold: Money
    comparison: Comparison = Comparison.at_least
    max_amount: Money
    one_time: bool = True
    categories: tuple[str, ...] = Field(default=(), description="eligible categories; () if open")
    # Settings the document leaves open (docs/rewards.md). "Whose sales count" is the reporting
    # entity's own accepted annual report, read from this indicator of its report template.
    sales_indicator: str = Field(
        default="online_retail_sales", description="report indicator whose value is the sales"
    )
    pays_difference: bool = Field(
        default=True,
        description="reaching a higher tier later pays only its cap less what lower tiers paid",
    )
    note: str | None = None
    source_ref: SourceRef

    def category_ids(self) -> tuple[str, ...]:
        return self.categories


class TrafficSubsidy(Frozen):
    """Up to ``amount_per_unit`` CNY per ``unit_amount`` CNY of online retail, capped.

    Source: 004_9c19d9a85d8c1f73.txt 四(二)3 (5 CNY per 10,000 CNY, ≤ 1,000,000 per enterprise).
    """

    kind: Literal["traffic_subsidy"]
    id: Slug
    name: str = Field(min_length=1)
    amount_per_unit: Money
    unit_amount: Money = Field(gt=0)
    basis: Literal["commodity_online_retail_sales"] = "commodity_online_retail_sales"
    # 亿元以上, compared with the figure ``basis_indicator`` names (the same 商品网络零售额).
    eligibility: Threshold
    cap_per_enterprise: Money
    requires_statistics_listing: bool = Field(description="上规入统: in the statistics list")
    excludes_cross_border: bool
    # Settings (docs/rewards.md): 商品网络零售额 is read from this report indicator, for both
    # the 亿元以上 test and the subsidy; a partial 10,000 CNY earns nothing unless counted.
    basis_indicator: str = Field(
        default="physical_goods_online_retail_sales",
        description="report indicator holding 商品网络零售额",
    )
    count_partial_unit: bool = Field(
        default=False, description="True: a partial unit earns its share (pro rata, to the fen)"
    )
    note: str | None = None
    source_ref: SourceRef

    def category_ids(self) -> tuple[str, ...]:
        return ()


class StatisticsListEntryReward(Frozen):
    """A reward for an enterprise newly entering the 限额以上 list (000 二(一)1)."""

    kind: Literal["statistics_list_entry"]
    id: Slug
    name: str = Field(min_length=1)
    max_amount: Money | None = None
    note: str | None = None
    source_ref: SourceRef

    def category_ids(self) -> tuple[str, ...]:
        return ()


class TitleAward(Frozen):
    """An honorary title for reaching a threshold, with no money attached (000 二(一)1)."""

    kind: Literal["title"]
    id: Slug
    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    eligibility: Qualifier
    note: str | None = None
    source_ref: SourceRef

    def category_ids(self) -> tuple[str, ...]:
        return ()


Reward = Annotated[
    DesignationReward
    | SalesMilestoneReward
    | TrafficSubsidy
    | StatisticsListEntryReward
    | TitleAward,
    Field(discriminator="kind"),
]


class OnRevocation(Frozen):
    """What a revoked designation does to the entity's rewards (004 三(三) 动态管理)."""

    cancel_unpaid: bool = Field(description="void rewards not yet requested for payment")
    recover_paid: bool = Field(description="flag requested or paid rewards for recovery (追回)")


class RewardPolicy(Frozen):
    """Programme settings of the reward ledger the documents leave open (docs/rewards.md)."""

    defaults: bool = Field(default=False, description="True: our defaults, not the document's")
    on_revocation: OnRevocation
    note: str | None = None


class ScoredIndicator(Frozen):
    """One indicator an expert scores, out of ``weight`` points (weights of a system sum to 100)."""

    id: Slug
    name: str = Field(min_length=1)
    weight: Decimal = Field(gt=0, le=100)


class IndicatorSystem(Frozen):
    """The scoring annex a category is evaluated against, and whether we have its content.

    ``indicators`` with ``defaults: true`` stand in for an annex that is not available."""

    category: str
    annex: str | None = Field(default=None, min_length=1, description="None: no annex named")
    title: str = Field(min_length=1)
    available: bool = False
    defaults: bool = False
    indicators: tuple[ScoredIndicator, ...] = ()
    source_ref: SourceRef

    @model_validator(mode="after")
    def _weights_total_100(self) -> Self:
        if self.indicators:
            ids = [indicator.id for indicator in self.indicators]
            if len(set(ids)) != len(ids):
                raise ValueError(f"indicator system {self.category!r} repeats an indicator id")
            total = sum((indicator.weight for indicator in self.indicators), Decimal(0))
            if total != 100:
                raise ValueError(f"indicator system {self.category!r}: weights sum to {total}")
        return self


class EvaluationCriterion(Frozen):
    """One scored or threshold indicator of an evaluation (filled per programme and category)."""

    id: Slug
    name: str = Field(min_length=1)
    category: str
    indicator: str = Field(min_length=1)
    comparison: Comparison
    value: Decimal = Field(ge=0)
    unit: Unit
    weight: Decimal | None = Field(default=None, ge=0)
    source_ref: SourceRef | None = None


class Evaluation(Frozen):
    indicator_systems: tuple[IndicatorSystem, ...] = ()
    criteria: tuple[EvaluationCriterion, ...] = ()

    def indicator_system(self, category: str) -> IndicatorSystem:
        return one_of(self.indicator_systems, category, key=lambda system: system.category)

    def category_ids(self) -> tuple[str, ...]:
        systems = tuple(system.category for system in self.indicator_systems)
        return systems + tuple(criterion.category for criterion in self.criteria)


class RevocationCondition(Frozen):
    """Revoked when ``indicator`` fails ``comparison value`` for ``consecutive_periods`` periods."""

    id: Slug
    name: str = Field(min_length=1)
    indicator: str = Field(min_length=1)
    comparison: Comparison
    value: Decimal = Field(ge=0)
    unit: Unit
    consecutive_periods: int = Field(default=1, ge=1)
    source_ref: SourceRef | None = None


class Revocation(Frozen):
    """Dynamic management: designations are withdrawn when operation falls below standard."""

    rule: str = Field(min_length=1)
    categories: tuple[str, ...] = Field(min_length=1)
    conditions: tuple[RevocationCondition, ...] = ()
    source_ref: SourceRef
