"""Dynamic management (动态管理) as data: how each designation is evaluated every year.

004_9c19d9a85d8c1f73.txt 三(三) says only that a project whose operation falls below standard
loses its designation; its standard (附件2) is not published. Everything here is a DEFAULT
(``defaults: true``) from other provinces' practice (DOMAIN.md, "Evaluation and revocation
elsewhere") until the province sets its own, per programme and category.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from shared.programmes.common import Frozen, SourceRef


class StandingThreshold(Frozen):
    """An accepted annual report's figure ``indicator`` must reach ``minimum``."""

    category: str = Field(min_length=1)
    indicator: str = Field(min_length=1, description="a report template's field id")
    minimum: Decimal = Field(ge=0)
    unit: str = Field(min_length=1)


class DynamicManagement(Frozen):
    defaults: bool = Field(description="true: values are defaults, not the document's")
    legal_basis: str = Field(min_length=1, description="cited on every warning and revocation")
    reporting_window: str = Field(min_length=1, description="the window whose report is judged")
    rectification_days: int = Field(ge=1, description="限期整改: days from the warning")
    thresholds: tuple[StandingThreshold, ...] = ()
    source_ref: SourceRef

    def thresholds_for(self, category: str) -> tuple[StandingThreshold, ...]:
        return tuple(t for t in self.thresholds if t.category == category)
