"""What a reporter fills in: one report template per demonstration category.

004_9c19d9a85d8c1f73.txt 三(三) asks every demonstration park, base, enterprise and team to build
a statistics monitoring system (业务统计监测体系) and report "相关数据" yearly, but does not list
the figures (its annexes are not published). The Guizhou templates are therefore *defaults*
(``defaults: true``) drawn from the statistics fields in common use (DOMAIN.md, "Statistics
fields" and the park/base indicators), to be replaced when the province publishes its own.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from shared.programmes.common import Frozen, Indicator, Slug, SourceRef, Unit, one_of

WHOLE_UNITS = frozenset({Unit.count, Unit.persons})


class IndicatorType(StrEnum):
    """``integer``: whole numbers (counts, persons); ``decimal``: exact, ``decimal_places`` at most."""

    integer = "integer"
    decimal = "decimal"


class ReportIndicator(Indicator):
    """One figure of a report: names, unit, type, whether required, and its bounds (inclusive)."""

    type: IndicatorType
    decimal_places: int = Field(default=2, ge=0, le=6, description="for type decimal")
    required: bool = False
    min: Decimal | None = Field(default=Decimal(0), description="None: no lower bound")
    max: Decimal | None = None
    change_warning_percent: Decimal | None = Field(
        default=None, gt=0, description="overrides the template's threshold for this figure"
    )

    @model_validator(mode="after")
    def _unit_fits_type(self) -> Self:
        if self.unit in WHOLE_UNITS and self.type is not IndicatorType.integer:
            raise ValueError(f"unit {self.unit.value} is counted in whole numbers: type integer")
        if self.unit is Unit.cny and self.decimal_places > 2:
            raise ValueError("a CNY amount has at most 2 decimal places (fen)")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError("max must not be below min")
        return self


class CrossCheck(Frozen):
    """A rule between two figures of one report; a failure is an error, not a warning.

    ``at_most``: ``field`` must not exceed ``limit`` (实物商品网络零售额 ≤ 网络零售额).
    """

    kind: Literal["at_most"] = "at_most"
    field: Slug
    limit: Slug
    note: str | None = None


class ReportTemplate(Frozen):
    """The annual report of one demonstration category."""

    category: str = Field(min_length=1, description="demonstration category id")
    name: str = Field(min_length=1)
    defaults: bool = Field(
        description="true: the indicators are defaults, not taken from the programme document"
    )
    note: str | None = None
    indicators: tuple[ReportIndicator, ...] = Field(min_length=1)
    checks: tuple[CrossCheck, ...] = ()
    change_warning_percent: Decimal = Field(
        default=Decimal(50),
        gt=0,
        description="a change against last year's accepted figure above this needs an explanation",
    )
    source_ref: SourceRef

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [indicator.id for indicator in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError(f"template {self.category!r}: an indicator id appears more than once")
        for check in self.checks:
            for name in (check.field, check.limit):
                if name not in ids:
                    raise ValueError(f"check names unknown indicator {name!r}")
            if self.indicator(check.field).unit is not self.indicator(check.limit).unit:
                raise ValueError(f"check {check.field} ≤ {check.limit} compares different units")
        return self

    def indicator(self, indicator_id: str) -> ReportIndicator:
        return one_of(self.indicators, indicator_id, key=lambda indicator: indicator.id)

    def threshold_for(self, indicator_id: str) -> Decimal:
        own = self.indicator(indicator_id).change_warning_percent
        return own if own is not None else self.change_warning_percent


class MissingRewardFigure(StrEnum):
    """What a report without a figure some reward is computed from gets, when the reporter is
    one that reward applies to: ``refuse`` (422 naming the figure) or ``warn`` (taken, with a
    warning in the answer, in the stored version and in ``ValidationFlagged``)."""

    refuse = "refuse"
    warn = "warn"


class RewardFigures(Frozen):
    """The figures rewards are computed from, in the reports of the reporters they apply to.

    A reward that reads a report indicator (the traffic subsidy's ``basis_indicator``, a sales
    milestone's ``sales_indicator``) cannot judge a report that leaves it out: 004 四(二)3 pays
    the subsidy on "当年实现商品网络零售额在亿元以上" and an enterprise that leaves its 实物商品网络零售额
    blank would be found not eligible, silently. The documents do not say the figure may be left
    out, so the default is ``refuse``; a programme that prefers to take such a report sets
    ``warn`` (docs/programmes.md, *Report templates*).
    """

    missing: MissingRewardFigure = MissingRewardFigure.refuse
    note: str | None = None
