"""Designation events, published by the awards service when the province grants or revokes a
demonstration title (004 三(二), 三(三) 动态管理; 四(二)1 动态授予称号). The registry keeps
each entity's current demonstration status from them."""

from __future__ import annotations

import datetime as dt

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


class DesignationRevoked(DomainEvent):
    event_type = "awards.designation.revoked"
    topic = "awards.designation"
    aggregate_field = "designation_id"
    summary = "A demonstration designation was revoked (运营不达标取消示范项目资格)."

    designation_id: str
    programme_id: str
    category: str
    entity_type: str
    entity_id: str
    region_code: str
    revoked_on: dt.date
    reason: str | None = None


DESIGNATION_EVENTS: tuple[type[DomainEvent], ...] = (DesignationGranted, DesignationRevoked)
