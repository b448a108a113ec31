"""Request and response bodies of the notifications API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.http.request_body import RequestBody

ChannelName = Literal["inbox", "email", "webhook", "wecom", "dingtalk", "sms"]
Office = Literal["province_admin", "city_bureau", "county_bureau", "operator"]


class RecipientCreate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    region_code: str = Field(pattern=r"^\d{6}$")
    role: Office
    enterprise_id: str | None = Field(default=None, min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    channel: ChannelName
    address: str = Field(min_length=1, max_length=2000)
    secret: str | None = Field(
        default=None, min_length=8, max_length=200, description="webhook / DingTalk signing key"
    )


class RecipientUpdate(RequestBody):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=2000)
    secret: str | None = Field(default=None, min_length=8, max_length=200)
    active: bool = True


class RecipientPublic(BaseModel):
    id: uuid.UUID
    region_code: str
    role: str
    enterprise_id: str | None
    name: str
    channel: str
    address: str = Field(description="masked unless the caller is the recipient (operators)")
    has_secret: bool
    active: bool
    source: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class Attempt(BaseModel):
    attempted_at: dt.datetime
    outcome: str
    reason: str | None
    http_status: int | None


class DeliveryPublic(BaseModel):
    id: uuid.UUID
    event_id: str
    channel: str
    recipient_id: uuid.UUID | None
    region_code: str
    role: str
    kind: str
    subject_type: str | None
    subject_id: str | None
    title: str
    status: str
    reason: str | None = Field(description="the receiver's answer when failed")
    attempts: int
    not_before: dt.datetime
    calendar_missing: int | None = Field(
        default=None,
        description="A reminder sent at its unshifted time because the working-day calendar "
        "of this year was not loaded (docs/calendar.md); null otherwise",
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    acknowledged_at: dt.datetime | None
    attempt_history: list[Attempt]
    payload: dict[str, Any]


class Acknowledged(BaseModel):
    delivery_id: uuid.UUID
    acknowledged: int = Field(
        description="deliveries of the same message this request acknowledged (0: none new)"
    )
    already: bool = Field(description="the message had been acknowledged before this request")
    acknowledged_at: dt.datetime | None = Field(
        default=None, description="when the message was first acknowledged"
    )


class AcknowledgementLink(BaseModel):
    delivery_id: uuid.UUID
    title: str
    kind: str
    region_code: str
    role: str
    sent_at: dt.datetime
    acknowledged_at: dt.datetime | None = Field(description="None: not yet acknowledged")


class NotificationPublic(BaseModel):
    id: uuid.UUID
    recipient_region: str
    recipient_role: str
    kind: str
    title: str
    body: str
    subject_type: str | None
    subject_id: str | None
    trace_id: str | None
    recipient_enterprise: str | None = None
    created_at: dt.datetime
    read_at: dt.datetime | None
    acknowledged_at: dt.datetime | None = None
