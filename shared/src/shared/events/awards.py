"""Events of the awards service's application workflow (004 三(二)2 申报推荐 → 省级评审 → 认定),
and credit records reported by outside systems (001/002 失信联合惩戒).

Designations themselves are ``shared.events.designations`` (the registry consumes them)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from shared.events.envelope import DomainEvent


class ApplicationSubmitted(DomainEvent):
    event_type = "awards.application.submitted"
    topic = "awards.application"
    aggregate_field = "application_id"
    summary = "An operator submitted a demonstration application (申报)."

    application_id: str
    programme_id: str
    year: int
    category: str
    entity_type: str
    entity_id: str
    region_code: str
    submitted_by: str


class ApplicationStageChanged(DomainEvent):
    event_type = "awards.application.stage_changed"
    topic = "awards.application"
    aggregate_field = "application_id"
    summary = "An application moved to another stage of review, with who moved it and why."

    application_id: str
    programme_id: str
    region_code: str
    step: str = Field(description="the step taken (city_recommend, decide, …)")
    stage: str = Field(description="the stage after the step")
    waiting_on: str | None = Field(default=None, description="the role the next step is for")
    actor: str
    reason: str | None = None


class ReviewOverdue(DomainEvent):
    event_type = "awards.review.overdue"
    topic = "awards.application"
    aggregate_field = "application_id"
    summary = "A city review passed the round's deadline; the application keeps waiting."

    application_id: str
    programme_id: str
    region_code: str = Field(description="the applicant's region; the city bureau is its city")
    city_code: str = Field(description="the city bureau that must review (PPCC00)")
    due_at: dt.datetime


class CreditRecordReported(DomainEvent):
    event_type = "credit.record.reported"
    topic = "credit.record"
    aggregate_field = "record_id"
    summary = "A credit platform reports a credit record of an entity (信用信息共享)."

    record_id: str
    entity_id: str
    kind: str = Field(description="dishonest_entity | serious_violation | abnormal_operation | …")
    valid_from: dt.date
    valid_to: dt.date | None = None
    source_document: str = Field(min_length=1)
    reported_by: str | None = None


AWARDS_EVENTS: tuple[type[DomainEvent], ...] = (
    ApplicationSubmitted,
    ApplicationStageChanged,
    ReviewOverdue,
    CreditRecordReported,
)
