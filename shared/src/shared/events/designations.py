"""Designation events, published by the awards service when the province grants or revokes a
demonstration title (004 三(二), 三(三) 动态管理; 四(二)1 动态授予称号). The registry keeps
each entity's current demonstration status from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from shared.events.envelope import DomainEvent


class DesignationGranted(DomainEvent):
    event_type = "awards.designation.granted"
    topic = "awards.designation"
    aggregate_field = "designation_id"
    summary = "The province designated a demonstration project (认定, 授予称号)."

    designation_id: str
    programme_id: str
    category: str = Field(description="the programme's demonstration category id (park, base, …)")
    entity_type: str = Field(description="enterprise | park | team")
    entity_id: str
    region_code: str
    entity_name: str | None = Field(
        default=None, description="the designated enterprise's, park's or team's name"
    )
    title: str | None = Field(default=None, description="the title granted, in Chinese")
    designated_on: dt.date
    year: int | None = Field(default=None, description="the application round's year")
    legal_basis: str | None = Field(
        default=None, description="document number and section (黔商发〔2023〕1号 …)"
    )
    recommended_for_national: bool | None = Field(
        default=None, description="优先推荐申报国家级相应示范项目 (004 四(二)1)"
    )
    application_id: str | None = None


class _DesignationStatusChanged(DomainEvent):
    """What a revocation and a reinstatement both say of the designation, in that order."""

    topic = "awards.designation"
    aggregate_field = "designation_id"

    designation_id: str
    programme_id: str
    category: str
    entity_type: str
    entity_id: str
    region_code: str


class DesignationRevoked(_DesignationStatusChanged):
    event_type = "awards.designation.revoked"
    summary = "A demonstration designation was revoked (运营不达标取消示范项目资格)."

    revoked_on: dt.date
    reason: str | None = None
    legal_basis: str | None = Field(default=None, description="document number and section")
    evidence: dict[str, Any] | None = Field(
        default=None, description="what the decision rests on (findings, or the violation's)"
    )
    revoked_by: str | None = Field(
        default=None, description="the province official, or 'awards' at a rectification deadline"
    )
    major_violation: bool | None = Field(
        default=None, description="revoked at once for a major violation (no warning first)"
    )
    year: int | None = Field(default=None, description="the evaluated reporting year")


class DesignationWarned(DomainEvent):
    event_type = "awards.designation.warned"
    topic = "awards.designation"
    aggregate_field = "designation_id"
    summary = (
        "A yearly evaluation found a designation below standard: rectify by a date (限期整改)."
    )

    designation_id: str
    programme_id: str
    category: str
    entity_id: str
    region_code: str
    year: int = Field(description="the evaluated reporting year")
    reason: str
    rectify_by: dt.date = Field(description="last day of the rectification period, China time")
    legal_basis: str
    evidence: dict[str, Any]


class DesignationReinstated(_DesignationStatusChanged):
    event_type = "awards.designation.reinstated"
    summary = "A designation is in good standing again: rectified in time, or reinstated by the "
    "province after a revocation."

    reinstated_on: dt.date
    by: str = Field(description="rectification | province")
    reason: str
    reinstated_by: str


DESIGNATION_EVENTS: tuple[type[DomainEvent], ...] = (
    DesignationGranted,
    DesignationRevoked,
    DesignationWarned,
    DesignationReinstated,
)
