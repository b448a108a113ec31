"""Bodies of the statistics routes (``XCreate`` / ``XPublic``). Figures are exact: an integer
or a decimal string (``"1234567.89"``), never a float."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.http.bounds import Figures
from shared.http.request_body import RequestBody
from submissions.api.schemas import ReviewStepFields


class StatisticsSubmit(RequestBody):
    model_config = ConfigDict(extra="forbid")

    reporter_kind: Literal["county", "city", "enterprise"]
    region_code: str = Field(
        pattern=r"^\d{6}$", description="the bureau's region, or the enterprise's county (or city)"
    )
    figures: Figures = Field(
        description="figure key -> integer or decimal string; cross-border keys are "
        "<indicator>.<mode>_<import|export> (cross_border_trade.9610_export)",
        max_length=500,
    )


# Its own name in the document, as it was before the fields were shared; no docstring, which
# would add a description to the published schema.
class StatisticsStepPublic(ReviewStepFields):
    pass


class StatisticsReportPublic(BaseModel):
    id: uuid.UUID
    programme_id: str
    period: str
    reporter_id: str
    reporter_kind: str
    region_code: str
    city_code: str
    state: str
    revision: int
    accepted_version: int | None = Field(description="the version the published sums use")
    first_submitted_at: dt.datetime | None
    figures: dict[str, str] = Field(description="the latest version's figures")
    steps: list[StatisticsStepPublic] | None = None


class ReconciliationPublic(BaseModel):
    reported: str = Field(description="the city's own total")
    sum_of_counties: str
    difference: str = Field(description="reported minus the sum of the counties")


class StatisticsRowPublic(BaseModel):
    region_code: str
    level: Literal["province", "city", "county"]
    value: str | None = Field(description="exact decimal string; a ratio in percent to 0.01")
    reporters: int
    provisional: bool = Field(description="a report under it is not (or no longer) accepted")
    year_on_year: str | None = Field(
        description="percent to 0.1 against the same period a year earlier"
    )
    period_on_period: str | None = Field(description="percent to 0.1 against the period before")
    breakdown: dict[str, str] = Field(description="per customs mode and direction")
    reconciliation: ReconciliationPublic | None = None


class CompletenessCount(BaseModel):
    reports: int
    accepted: int
    under_review: int = Field(description="submitted, recommended or returned")
    expected: int = Field(default=0, description="on the period's frozen roster")
    missing: int = Field(default=0, description="on the roster, no report yet")


class StatisticsReporterCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    reporter_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{1,64}$", description="a bureau's region code, or an enterprise id"
    )
    reporter_kind: Literal["county", "city", "enterprise"]
    region_code: str = Field(pattern=r"^\d{6}$")


class StatisticsReporterPublic(BaseModel):
    programme_id: str
    reporter_id: str
    reporter_kind: str
    region_code: str
    city_code: str
    registered_at: dt.datetime
    registered_by: str
    removed_at: dt.datetime | None
    removed_by: str | None


class RosterEntryPublic(BaseModel):
    reporter_id: str
    reporter_kind: str
    region_code: str
    city_code: str
    registered_at: dt.datetime
    state: str | None = Field(description="the period's report state; None: not reported")
    first_submitted_at: dt.datetime | None


class StatisticsPublic(BaseModel):
    programme_id: str
    indicator: str
    name_zh: str
    unit: str
    aggregation: str
    basis: str = Field(description="regional, or monitored_enterprises (kept apart)")
    period: str
    region: str
    by: str
    provisional: bool
    rows: list[StatisticsRowPublic]
    completeness: dict[str, CompletenessCount] = Field(
        description="reports of the period in the region, per reporter kind"
    )
