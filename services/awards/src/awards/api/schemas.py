"""Request and response bodies of the awards API (``XCreate`` / ``XPublic``)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from awards.domain.application import Action
from awards.domain.credit import CreditKind
from awards.domain.standing import Standing
from awards.workflows.types import Finding
from shared.http.bounds import Evidence, Key, Materials, Name, Reason
from shared.http.request_body import RequestBody

Code = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")


class Body(RequestBody):
    model_config = ConfigDict(extra="forbid")


class ApplicationCreate(Body):
    programme_id: str = Code
    year: int = Field(ge=2000, le=2100)
    category: str = Code
    entity_type: Literal["park", "enterprise", "team"]
    entity_id: str = Code
    materials: Materials = Field(
        description="申报表 fields and the 申报书 by material id (see the round's materials)"
    )


class FindingIn(Finding):
    """A review finding as sent (the workflow's own model stays unbounded, for old histories)."""

    model_config = ConfigDict(extra="forbid")

    material: Key
    note: Reason | None = None


class StepCreate(Body):
    """A human step; the fields each action needs are checked by the workflow's validator."""

    action: Action
    reason: str | None = Field(default=None, max_length=2000)
    rank: int | None = Field(default=None, ge=1, le=10000)
    materials: Materials | None = None
    findings: list[FindingIn] = Field(default_factory=list, max_length=50)
    passed: bool | None = None
    visit_on: dt.date | None = None
    scores: dict[Key, Decimal] | None = Field(default=None, max_length=50)
    approve: bool | None = None
    recommend_for_national: bool | None = None
    objector_name: str | None = Field(default=None, max_length=200)
    objector_contact: str | None = Field(default=None, max_length=200)
    upheld: bool | None = None


class StepPublic(BaseModel):
    seq: int
    step: str
    stage_after: str
    actor: str
    role: str | None
    reason: str | None
    detail: dict[str, Any]
    at: dt.datetime


class ApplicationPublic(BaseModel):
    id: uuid.UUID
    workflow_id: str
    programme_id: str
    year: int
    category: str
    entity_type: str
    entity_id: str
    entity_name: str
    region_code: str
    stage: str
    waiting_on: str | None
    city_rank: int | None = None
    score: Decimal | None = None
    passed: bool | None = None
    notice_last_day: dt.date | None = None
    submitted_at: dt.datetime
    updated_at: dt.datetime


class ApplicationDetail(ApplicationPublic):
    timeline: list[StepPublic]


class SubmissionAccepted(BaseModel):
    id: uuid.UUID
    workflow_id: str
    stage: str


class StepAccepted(BaseModel):
    id: uuid.UUID
    stage: str
    waiting_on: str | None
    notice_last_day: dt.date | None = None
    score: Decimal | None = None
    panel: list[str] = Field(default_factory=list)


class DesignationPublic(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    programme_id: str
    year: int
    category: str
    entity_type: str
    entity_id: str
    entity_name: str
    region_code: str
    title: str
    designated_on: dt.date
    legal_basis: str
    recommended_for_national: bool
    status: str


class CreditRecordCreate(Body):
    record_id: str = Code
    entity_id: str = Code
    kind: CreditKind
    valid_from: dt.date
    valid_to: dt.date | None = None
    source_document: str = Field(min_length=1, max_length=500)


class CreditRecordAccepted(BaseModel):
    record_id: str
    stopped_applications: list[uuid.UUID]


class ExpertPut(Body):
    name: str = Field(min_length=1, max_length=100)
    region_code: str = Field(pattern=r"^\d{6}$")
    declared_relations: list[Name] = Field(
        default_factory=list, max_length=200, description="enterprise ids or names"
    )
    active: bool = True


class ExpertPublic(ExpertPut):
    expert_id: str


# --- dynamic management (/v1/designations/standing, violations, reinstatement) ---------------


class ViolationCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
    evidence: Evidence = Field(
        min_length=1, description="what the violation rests on (documents, findings)"
    )
    legal_basis: str | None = Field(default=None, max_length=500)


class ReinstatementCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class StandingAccepted(BaseModel):
    designation_id: uuid.UUID
    year: int
    standing: Standing


class DesignationStandingPublic(BaseModel):
    """A designation's standing as of a year, with the decision behind it (None: not yet
    evaluated)."""

    id: uuid.UUID
    programme_id: str
    category: str
    entity_type: str
    entity_id: str
    entity_name: str
    region_code: str
    title: str
    status: str
    year: int | None
    standing: Standing | None
    step: str | None
    reason: str | None
    evidence: dict[str, Any] | None
    legal_basis: str | None
    rectify_by: dt.date | None
    decided_by: str | None
    decided_at: dt.datetime | None
