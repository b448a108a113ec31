"""How a programme runs its application rounds: dates, who may apply, materials, the expert
panel, the public notice (公示) and the legal basis quoted on a designation.

004 三(二)2 gives the steps (申报推荐 → 省级评审 → 认定) and that rounds run once a year from
2023; it gives no dates, no panel size, no pass mark and no notice length. Those fields are
configurable and, in the shipped files, marked ``defaults: true`` (docs/awards.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from shared.programmes.common import Frozen, SourceRef, one_of
from shared.programmes.reporting import MonthDay

EntityType = Literal["park", "enterprise", "team"]


class NoticeUnit(StrEnum):
    working_days = "working_days"  # China's working-day calendar with 调休
    calendar_days = "calendar_days"


class PublicNotice(Frozen):
    """公示: counted from the day after publication. Default 5 working days (Guangdong, Shanxi);
    the ministry's lists use 7 calendar days."""

    length: int = Field(default=5, ge=1, le=60)
    unit: NoticeUnit = NoticeUnit.working_days


class Aggregate(StrEnum):
    trimmed_mean = "trimmed_mean"  # drop the highest and lowest ``trim_each_end`` totals
    mean = "mean"


class ExpertPanel(Frozen):
    """组织评审: how many experts score, how their totals combine, and the pass mark."""

    size: int = Field(default=5, ge=1, le=50)
    aggregate: Aggregate = Aggregate.trimmed_mean
    trim_each_end: int = Field(default=1, ge=0)
    pass_mark: Decimal = Field(default=Decimal(60), ge=0, le=100)

    @model_validator(mode="after")
    def _trim_leaves_scores(self) -> Self:
        if self.aggregate is Aggregate.trimmed_mean and 2 * self.trim_each_end >= self.size:
            raise ValueError("trim_each_end removes every score of the panel")
        return self


class RoundCalendar(Frozen):
    """The yearly dates of a round (China time): opens at 00:00 of ``opens``, closes at the end
    of ``closes``; the city review is due at the end of ``city_review_due``."""

    opens: MonthDay
    closes: MonthDay
    city_review_due: MonthDay


class RoundOverride(Frozen):
    """One year's (and optionally one category's) dates, replacing the yearly calendar."""

    year: int = Field(ge=2000, le=2100)
    category: str | None = None
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    city_review_due_on: dt.date | None = None
    note: str | None = None


class MaterialKind(StrEnum):
    form = "form"  # 申报表 fields
    written_application = "written_application"  # 申报书
    resident_list = "resident_list"  # annex 7, taken from the registry's residents


class Material(Frozen):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    kind: MaterialKind
    annex: str | None = None
    fields: tuple[str, ...] = Field(default=(), description="申报表 fields, for kind form")


class CategoryRules(Frozen):
    """Who may apply in a category and what they hand in."""

    category: str
    entity_types: tuple[EntityType, ...] = Field(min_length=1)
    park_kinds: tuple[str, ...] = Field(default=(), description="for parks: kinds accepted")
    materials: tuple[Material, ...] = Field(min_length=1)


class LegalBasis(Frozen):
    """What a designation cites: the document number and section."""

    document_number: str = Field(min_length=1)
    section: str = Field(min_length=1)


class Awarding(Frozen):
    """The configurable part of ``application_rounds`` (see the module docstring)."""

    defaults: bool = Field(description="true: values are defaults, not the document's")
    calendar: RoundCalendar
    overrides: tuple[RoundOverride, ...] = ()
    category_rules: tuple[CategoryRules, ...] = Field(min_length=1)
    public_notice: PublicNotice = PublicNotice()
    expert_panel: ExpertPanel = ExpertPanel()
    legal_basis: LegalBasis
    recommend_for_national: bool = Field(
        default=False, description="优先推荐申报国家级相应示范项目 (004 四(二)1)"
    )
    source_ref: SourceRef | None = None

    def rules_for(self, category: str) -> CategoryRules:
        return one_of(self.category_rules, category, key=lambda rules: rules.category)

    def override_for(self, year: int, category: str) -> RoundOverride | None:
        exact = [o for o in self.overrides if o.year == year and o.category == category]
        general = [o for o in self.overrides if o.year == year and o.category is None]
        found = exact or general
        return found[0] if found else None
