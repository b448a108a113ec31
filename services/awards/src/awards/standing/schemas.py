"""REST shapes of dynamic management (``/v1/designations/standing``, violations, reinstatement)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from awards.standing.rules import Standing
from shared.http.bounds import Evidence
from shared.http.request_body import RequestBody


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
