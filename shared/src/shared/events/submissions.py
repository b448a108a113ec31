"""Events published by the submissions service (docs/submissions.md).

The 12-10 report (004_9c19d9a85d8c1f73.txt 三(三)): windows open and lock, the deadline clock
fires before and after the due time, reports move through review, extensions are requested and
decided. Topics per aggregate: ``submissions.window`` and ``submissions.deadline`` keyed by the
window, ``submissions.report`` by the report, ``submissions.extension`` by the extension.
Instants are UTC-aware; China time is for display. Figures are exact decimal strings.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import DomainEvent


class _Window(DomainEvent):
    topic = "submissions.window"
    aggregate_field = "window_id"

    window_id: str = Field(description="<programme>.<reporting window>.<year>")


class WindowOpened(_Window):
    event_type = "submissions.window.opened"
    summary = "A reporting window opened; its roster of expected reporters is frozen."

    programme_id: str
    window: str = Field(description="the programme file's reporting window id")
    year: int
    opens_at: dt.datetime
    due_at: dt.datetime = Field(description="the first late instant (end of 10 December, CST)")
    grace_until: dt.datetime
    locks_at: dt.datetime
    expected: int = Field(description="reporters on the frozen roster")
    opened_by: str = Field(description="a user, or 'clock' when opened at opens_at")


class WindowLocked(_Window):
    event_type = "submissions.window.locked"
    summary = "A reporting window locked: it takes no more reports (except reopenings)."

    locked_at: dt.datetime
    expected: int
    missing: int


class WindowReopened(_Window):
    event_type = "submissions.window.reopened"
    summary = "The province reopened a window for one named reporter until an end time."

    designation_id: str
    reason: str
    ends_at: dt.datetime
    reopened_by: str


class MissingReporters(BaseModel):
    """The reporters a bureau still misses (designation ids)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region_code: str
    level: str = Field(description="city | county")
    designation_ids: list[str]


class _Deadline(DomainEvent):
    topic = "submissions.deadline"
    aggregate_field = "window_id"

    window_id: str
    point: str = Field(description="the clock point's key: before-30d, due, after-1d …")
    offset_days: int = Field(description="negative before the due time")
    point_at: dt.datetime
    due_at: dt.datetime
    late: bool = Field(
        description="emitted after downtime; older missed points were skipped, not sent"
    )
    expected: int
    missing: int
    missing_by_bureau: list[MissingReporters]


class DeadlineApproaching(_Deadline):
    event_type = "submissions.deadline.approaching"
    summary = "N days before the due time: the reporters still missing, per bureau."


class DeadlinePassed(_Deadline):
    event_type = "submissions.deadline.passed"
    summary = "At or N days after the due time: the reporters still missing, per bureau."


class _Report(DomainEvent):
    topic = "submissions.report"
    aggregate_field = "report_id"

    report_id: str
    window_id: str
    designation_id: str
    entity_id: str
    city_code: str
    version: int


class ReportSubmitted(_Report):
    event_type = "submissions.report.submitted"
    summary = "A report version was submitted (by the reporter, or by its city bureau)."

    submitted_by: str
    on_behalf: bool = Field(description="entered by the city bureau for the reporter")
    first: bool = Field(description="the first submission, which decides on time or late")
    on_time: bool


class ReportReturned(_Report):
    event_type = "submissions.report.returned"
    summary = "A report was returned: by the city to the reporter, or by the province."

    returned_by: str
    by: str = Field(description="city_bureau | province")
    to: str = Field(description="reporter | city_bureau")
    reason: str | None = None
    field_comments: dict[str, str] = Field(default_factory=dict)


class ReportRecommended(_Report):
    event_type = "submissions.report.recommended"
    summary = "The city bureau passed a report to the province (审核推荐)."

    recommended_by: str
    reason: str | None = None


class ReportAccepted(_Report):
    event_type = "submissions.report.accepted"
    summary = "The province accepted a report: its figures are final (what awards uses)."

    accepted_by: str
    figures: dict[str, str] = Field(description="indicator id -> exact decimal string")


class ValidationFlagged(_Report):
    event_type = "submissions.validation.flagged"
    summary = "A submitted report changed against last year's accepted figures beyond the "
    "template's threshold; the reporter explained each change."

    warnings: list[dict[str, str]] = Field(description="field, code, message, explanation")


class _Extension(DomainEvent):
    topic = "submissions.extension"
    aggregate_field = "extension_id"

    extension_id: str
    window_id: str
    designation_id: str


class ExtensionRequested(_Extension):
    event_type = "submissions.extension.requested"
    summary = "A reporter or its city bureau asked for a later due time, with a reason."

    requested_by: str
    reason: str
    requested_due_at: dt.datetime | None = None


class ExtensionGranted(_Extension):
    event_type = "submissions.extension.granted"
    summary = "The province granted an extension with a new due time."

    decided_by: str
    new_due_at: dt.datetime
    reason: str | None = None


class ExtensionRefused(_Extension):
    event_type = "submissions.extension.refused"
    summary = "The province refused an extension, with a reason."

    decided_by: str
    reason: str


SUBMISSIONS_EVENTS: tuple[type[DomainEvent], ...] = (
    WindowOpened,
    WindowLocked,
    WindowReopened,
    DeadlineApproaching,
    DeadlinePassed,
    ReportSubmitted,
    ReportReturned,
    ReportRecommended,
    ReportAccepted,
    ValidationFlagged,
    ExtensionRequested,
    ExtensionGranted,
    ExtensionRefused,
)
