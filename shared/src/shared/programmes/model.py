"""A development programme as data: identity, period and numeric targets.

One YAML file per programme (``shared/programmes/``) validates into :class:`Programme`. The
sections that later work fills (categories, application rounds, rewards, evaluation,
revocation) live in :mod:`shared.programmes.sections`; reporting windows and report templates in
:mod:`shared.programmes.reporting` and :mod:`shared.programmes.report_templates`. Every model forbids unknown
fields, so a typo in a file is an error, never a silently ignored key.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from shared.programmes.common import (
    Comparison,
    Frozen,
    Metric,
    Qualifier,
    RegionCode,
    Slug,
    SourceRef,
    Unit,
    one_of,
)
from shared.programmes.notifications import NotificationPolicy
from shared.programmes.report_templates import ReportTemplate, RewardFigures
from shared.programmes.reporting import ReportingWindow
from shared.programmes.sections import (
    ApplicationRounds,
    DemonstrationCategory,
    Evaluation,
    Revocation,
    Reward,
    RewardPolicy,
    SalesMilestoneReward,
    TrafficSubsidy,
)
from shared.programmes.standing import DynamicManagement
from shared.programmes.statistics import Statistics

# Whom the traffic subsidy is paid to: 004 四(二)3 "上规入统的电商企业(不含跨境电商)", the
# registry's entity type of an e-commerce enterprise.
TRAFFIC_SUBSIDY_ENTITY_TYPES = frozenset({"enterprise"})


class Scope(StrEnum):
    """Whom a target binds: the jurisdiction as a whole, or each city/prefecture or county."""

    total = "total"
    per_city = "per_city"
    per_county = "per_county"


class Coverage(Frozen):
    """A target met when *every* area of a level has one, not when the count reaches the value
    anywhere: "全省41个县全部建成物流仓储分拨配送中心" (000 二(五)17) is met when each county has a
    centre; 41 centres in twenty counties do not meet it. The areas are the jurisdiction's
    current ones of ``level``, less ``exclude`` (where the document's count leaves some out)."""

    level: Literal["county"] = "county"
    exclude: tuple[RegionCode, ...] = ()
    note: str | None = None


class Target(Frozen):
    """One numeric target of a programme, as the document states it."""

    id: Slug
    name: str = Field(min_length=1, description="Chinese wording of the indicator")
    metric: Metric
    comparison: Comparison
    value: Decimal = Field(ge=0)
    value_max: Decimal | None = Field(
        default=None, description="upper end when the document gives a range (每年3-5场)"
    )
    unit: Unit
    by: dt.date | None = Field(
        default=None, description="deadline; None when the document gives none (the period applies)"
    )
    per_year: bool = Field(
        default=False, description="the value applies to every year (年均, 每年)"
    )
    scope: Scope = Scope.total
    coverage: Coverage | None = Field(
        default=None, description="全部: met when every area of a level has one (000 二(五)17)"
    )
    qualifier: Qualifier | None = None
    aspirational: bool = Field(default=False, description="worded as an effort (力争, 争取)")
    note: str | None = None
    source_ref: SourceRef
    see_also: tuple[SourceRef, ...] = ()

    @model_validator(mode="after")
    def _value_fits_unit(self) -> Self:
        for bound in (self.value, self.value_max):
            if bound is None:
                continue
            exponent = bound.as_tuple().exponent
            places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
            if self.unit in (Unit.count, Unit.persons) and bound != bound.to_integral_value():
                raise ValueError(f"a count must be a whole number, got {bound}")
            if self.unit is Unit.cny and places > 2:
                raise ValueError(f"a CNY amount has at most 2 decimal places (fen), got {bound}")
        if self.value_max is not None and self.value_max < self.value:
            raise ValueError("value_max must not be below value")
        return self

    def is_met_by(self, actual: Decimal) -> bool:
        """Whether an achieved figure meets the target's lower bound."""
        return self.comparison.holds(actual, self.value)


class Period(Frozen):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end < self.start:
            raise ValueError("period end precedes its start")
        return self

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class SourceDocument(Frozen):
    file: str = Field(min_length=1, description="seed file name")
    title: str = Field(min_length=1)
    sections: tuple[str, ...] = Field(min_length=1, description="sections the data comes from")


class Programme(Frozen):
    """A jurisdiction's e-commerce development programme (DOMAIN.md, "Programmes")."""

    id: Slug
    name: str = Field(min_length=1)
    jurisdiction: RegionCode
    issuer: str | None = Field(default=None, description="None when the document names none")
    document_number: str | None = None
    issued_on: dt.date | None = None
    source: SourceDocument
    period: Period
    targets: tuple[Target, ...] = Field(min_length=1)
    demonstration_categories: tuple[DemonstrationCategory, ...] = ()
    application_rounds: ApplicationRounds | None = None
    rewards: tuple[Reward, ...] = ()
    reward_policy: RewardPolicy | None = None
    reporting_windows: tuple[ReportingWindow, ...] = ()
    report_templates: tuple[ReportTemplate, ...] = ()
    reward_figures: RewardFigures = RewardFigures()
    evaluation: Evaluation | None = None
    revocation: Revocation | None = None
    dynamic_management: DynamicManagement | None = None
    statistics: Statistics | None = None
    notifications: NotificationPolicy = NotificationPolicy()

    @model_validator(mode="before")
    @classmethod
    def _window_starts_with_the_period(cls, data: Any) -> Any:
        """A reporting window without ``first_year`` starts in the period's first year. Its
        ``last_year`` is not filled: the period is the horizon of the *targets* (到2025年), while
        the yearly report and dynamic management go on as long as designations are in force
        (004 三(三): 每年12月10日 … 示范项目实行动态管理), so a window runs on unless the
        programme sets its last year (``ReportingWindow``)."""
        if not isinstance(data, dict) or not isinstance(data.get("period"), dict):
            return data
        windows = data.get("reporting_windows")
        first_year = _year(data["period"].get("start"))
        if not isinstance(windows, list) or first_year is None:
            return data
        filled = [
            {"first_year": first_year, **window} if isinstance(window, dict) else window
            for window in windows
        ]
        return {**data, "reporting_windows": filled}

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _unique("targets", [target.id for target in self.targets])
        _unique("demonstration_categories", [c.id for c in self.demonstration_categories])
        _unique("rewards", [reward.id for reward in self.rewards])
        _unique("reporting_windows", [window.id for window in self.reporting_windows])
        _unique("report_templates", [template.category for template in self.report_templates])
        for target in self.targets:
            if target.by is not None and target.by > self.period.end:
                raise ValueError(f"target {target.id!r} is due after the programme period ends")
        known = {category.id for category in self.demonstration_categories}
        referenced: list[tuple[str, str]] = []
        for reward in self.rewards:
            referenced += [(f"reward {reward.id!r}", c) for c in reward.category_ids()]
        for window in self.reporting_windows:
            referenced += [(f"reporting window {window.id!r}", c) for c in window.reporters]
        referenced += [("report_templates", t.category) for t in self.report_templates]
        if self.application_rounds is not None:
            referenced += [
                ("application_rounds", c) for c in self.application_rounds.category_ids()
            ]
        if self.evaluation is not None:
            referenced += [("evaluation", c) for c in self.evaluation.category_ids()]
        if self.revocation is not None:
            referenced += [("revocation", c) for c in self.revocation.categories]
        for where, category in referenced:
            if category not in known:
                raise ValueError(f"{where} names unknown demonstration category {category!r}")
        indicators = {i.id for t in self.report_templates for i in t.indicators}
        for reward in self.rewards:
            read = getattr(reward, "sales_indicator", None) or getattr(
                reward, "basis_indicator", None
            )
            if indicators and read is not None and read not in indicators:
                raise ValueError(f"reward {reward.id!r} reads unknown report indicator {read!r}")
        templated = {template.category for template in self.report_templates}
        for window in self.reporting_windows:
            untemplated = [c for c in window.reporters if templated and c not in templated]
            if untemplated:
                raise ValueError(
                    f"reporting window {window.id!r}: no report template for {untemplated}"
                )
        return self

    def target(self, target_id: str) -> Target:
        return one_of(self.targets, target_id, key=lambda target: target.id)

    def reporting_window(self, window_id: str) -> ReportingWindow:
        return one_of(self.reporting_windows, window_id, key=lambda window: window.id)

    def report_template(self, category_id: str) -> ReportTemplate:
        return one_of(self.report_templates, category_id, key=lambda template: template.category)

    def reward_figures_for(
        self, *, category: str, entity_type: str
    ) -> dict[str, tuple[Reward, ...]]:
        """The indicators of ``category``'s report template that a reward applying to this
        reporter is computed from, each with those rewards. A sales milestone applies to the
        reporters of its ``categories`` (all when it names none); the traffic subsidy to
        enterprises (004 四(二)3: 上规入统的电商企业), whether listed and not cross-border being
        the awards service's to judge from facts submissions does not keep."""
        try:
            template = self.report_template(category)
        except KeyError:
            return {}
        found: dict[str, tuple[Reward, ...]] = {}
        for reward in self.rewards:
            indicator = None
            if isinstance(reward, SalesMilestoneReward):
                if not reward.categories or category in reward.categories:
                    indicator = reward.sales_indicator
            elif isinstance(reward, TrafficSubsidy):
                if entity_type in TRAFFIC_SUBSIDY_ENTITY_TYPES:
                    indicator = reward.basis_indicator
            if indicator is not None and any(i.id == indicator for i in template.indicators):
                found[indicator] = (*found.get(indicator, ()), reward)
        return found

    def category(self, category_id: str) -> DemonstrationCategory:
        return one_of(self.demonstration_categories, category_id, key=lambda category: category.id)


def _unique(field: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{field}: id {item!r} appears more than once")
        seen.add(item)


def _year(value: Any) -> int | None:
    if isinstance(value, dt.date):
        return value.year
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).year
        except ValueError:
            return None  # the period's own validation reports it
    return None
