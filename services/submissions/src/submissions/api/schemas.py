"""Request and response bodies (``XCreate`` / ``XPublic``). Instants are RFC 3339 with an
offset; a naive datetime is refused (it would be ambiguous across the +08:00 boundary)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.http.bounds import Comments, Figures
from shared.http.request_body import RequestBody

Text = Field(min_length=1, max_length=2000)


class _In(RequestBody):
    model_config = ConfigDict(extra="forbid")


class WindowOpen(_In):
    programme_id: str = Field(min_length=1, max_length=100)
    window: str = Field(min_length=1, max_length=100, description="reporting window id")
    year: int = Field(ge=2000, le=2100)


class WindowPublic(BaseModel):
    id: str
    programme_id: str
    window: str
    year: int
    status: str
    opens_at: dt.datetime
    due_at: dt.datetime = Field(description="the first late instant (end of the due day, CST)")
    grace_until: dt.datetime
    locks_at: dt.datetime
    opened_at: dt.datetime
    opened_by: str
    locked_at: dt.datetime | None = None


class RosterEntryPublic(BaseModel):
    designation_id: str
    entity_type: str
    entity_id: str
    category: str
    region_code: str
    city_code: str
    county_code: str | None
    due_at: dt.datetime
    expected_from: dt.datetime
    expected_until: dt.datetime | None


class RosterChangePublic(BaseModel):
    designation_id: str
    kind: str = Field(description="frozen | added | removed")
    at: dt.datetime
    due_at: dt.datetime | None
    reason: str | None


class WindowRosterEntryPublic(RosterEntryPublic):
    """One reporter on a window's roster, with every change to its place on it."""

    changes: list[RosterChangePublic] = Field(
        description="This reporter's changes (frozen, added, removed) in the order recorded"
    )


class Reopening(_In):
    designation_id: str = Field(min_length=1, max_length=200)
    reason: str = Text
    ends_at: AwareDatetime


class ReopeningPublic(BaseModel):
    id: uuid.UUID
    window_id: str
    designation_id: str
    granted_by: str
    reason: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class ReportSubmit(_In):
    figures: Figures = Field(
        description="indicator id -> value (an integer, or an exact decimal as a string), or "
        '{"value": …, "unit": "cny"} to state the unit'
    )
    explanations: Comments = Field(
        default_factory=dict, description="indicator id -> why it changed so much since last year"
    )


class DraftSave(_In):
    figures: Figures = Field(
        description="what is known so far, as in a submission; missing figures are allowed"
    )
    explanations: Comments = Field(default_factory=dict)


class DraftPublic(BaseModel):
    window_id: str
    designation_id: str
    figures: dict[str, Any]
    explanations: dict[str, str]
    saved_by: str
    saved_role: str
    saved_at: dt.datetime
    revision: int
    pending: list[dict[str, str]] | None = Field(
        default=None,
        description="on save: what a submission still needs (required figures, cross checks, "
        "explanations of large changes)",
    )


class VersionPublic(BaseModel):
    number: int
    submitted_at: dt.datetime
    submitted_by: str
    submitted_role: str
    on_behalf: bool
    figures: dict[str, Any]
    explanations: dict[str, str]
    warnings: list[dict[str, str]]


class ReviewStepFields(BaseModel):
    """A review step as reports and statistics reports both show it."""

    action: str
    actor: str
    actor_role: str
    at: dt.datetime
    from_state: str
    to_state: str
    version: int
    reason: str | None
    field_comments: dict[str, str]


class StepPublic(ReviewStepFields):
    on_behalf: bool


class ReportPublic(BaseModel):
    id: uuid.UUID
    window_id: str
    designation_id: str
    entity_id: str
    region_code: str
    city_code: str
    state: str
    revision: int
    first_submitted_at: dt.datetime | None
    updated_at: dt.datetime
    steps: list[StepPublic] | None = None


class SubmittedPublic(BaseModel):
    report: ReportPublic
    version: int
    on_time: bool = Field(description="decided by the first submission")
    warnings: list[dict[str, str]]


class CityReview(_In):
    decision: Literal["return", "recommend"]
    reason: str | None = Field(default=None, max_length=2000)
    field_comments: Comments = Field(
        default_factory=dict, description="indicator id -> what to correct (for return)"
    )


class ProvinceReview(_In):
    decision: Literal["accept", "return_to_city", "return_to_reporter"]
    reason: str | None = Field(default=None, max_length=2000)
    field_comments: Comments = Field(default_factory=dict)


class FieldChangePublic(BaseModel):
    field: str
    before: Any
    after: Any


class ExtensionCreate(_In):
    designation_id: str = Field(min_length=1, max_length=200)
    reason: str = Text
    requested_due_at: AwareDatetime | None = None


class ExtensionGrant(_In):
    new_due_at: AwareDatetime
    reason: str | None = Field(default=None, max_length=2000)


class ExtensionRefuse(_In):
    reason: str = Text


class ExtensionPublic(BaseModel):
    id: uuid.UUID
    window_id: str
    designation_id: str
    requested_by: str
    requested_role: str
    requested_at: dt.datetime
    reason: str
    requested_due_at: dt.datetime | None
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    new_due_at: dt.datetime | None


class CompletenessRowPublic(BaseModel):
    level: str
    region_code: str
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    accepted: int
    returned: int
    submitted_rate: str = Field(description="percent of expected, two places; never above 100")
    on_time_rate: str


class CompletenessPublic(BaseModel):
    window_id: str
    as_of: dt.datetime
    province: CompletenessRowPublic | None
    cities: list[CompletenessRowPublic]
    counties: list[CompletenessRowPublic]
    missing_by_bureau: dict[str, list[str]]


class AttachmentPublic(BaseModel):
    sha256: str
    filename: str
    content_type: str
    size_bytes: int
    added_by: str
    added_at: dt.datetime


def public(model: type[BaseModel], row: Any, **extra: Any) -> Any:
    return model.model_validate({**dict(row), **extra})
