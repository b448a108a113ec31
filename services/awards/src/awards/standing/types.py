"""Inputs and outputs of the designation workflow and its activities (pydantic, one per call)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from awards.standing.rules import Standing
from awards.workflows.types import ActorData, RequestData


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def designation_workflow_id(designation_id: str) -> str:
    """One workflow per designation, named after it."""
    return f"awards-designation-{designation_id}"


class CyclePlan(Model):
    """The programme's schedule for one reporting year, taken from its file at the cycle's
    start (an edited file applies from the next cycle). ``None`` fields: no window that year."""

    year: int
    evaluate_at: dt.datetime | None = Field(description="the window locks: evaluation is due")
    grace_until: dt.datetime | None = None
    rectification_days: int
    programme_over: bool = Field(description="no window this year nor any later one")
    window_id: str | None = Field(default=None, description="the window whose report is judged")


class DesignationStart(Model):
    """A designation's lifecycle, one yearly cycle per run (continue-as-new carries it on)."""

    designation_id: str
    programme_id: str
    category: str
    year: int = Field(description="the reporting year this run evaluates")
    standing: Standing = Standing.good_standing
    seq: int = 0
    evaluated: bool = False
    triggered_year: int = 0
    plan: CyclePlan | None = Field(
        default=None,
        description="the first cycle's plan, taken by the starter (else read by an activity)",
    )


DecisionKind = Literal["evaluate", "re_evaluate", "violation", "reinstate"]


class DecisionRequest(Model):
    designation_id: str
    kind: DecisionKind
    year: int
    seq: int
    at: dt.datetime
    grace_until: dt.datetime | None = None
    rectification_days: int = 90
    window_id: str | None = None
    actor: ActorData | None = None
    request: RequestData | None = None
    reason: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    legal_basis: str | None = None


class Decision(Model):
    standing: Standing
    reason: str
    rectify_by: dt.date | None = None


class ViolationReport(Model):
    """A major violation, reported by the province with its evidence: revokes at once."""

    actor: ActorData
    reason: str = Field(min_length=1, max_length=2000)
    evidence: dict[str, Any] = Field(min_length=1)
    legal_basis: str | None = Field(default=None, max_length=500)
    request: RequestData | None = None


class Reinstatement(Model):
    actor: ActorData
    reason: str = Field(min_length=1, max_length=2000)
    request: RequestData | None = None


class DesignationState(Model):
    designation_id: str
    year: int
    standing: Standing
    seq: int
    rectify_by: dt.date | None = None
