"""The event envelope (CloudEvents 1.0 attributes plus W3C trace context) and the payload base.

Each event type and version is one pydantic model deriving from ``DomainEvent``. Within a
version only optional fields are added; a breaking change is a new version with an upcaster
(see ``shared.events.catalog``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class DomainEvent(BaseModel):
    """A fact that happened, named in the past tense.

    Subclasses set ``event_type`` (``<service>.<aggregate>.<fact>``), ``event_version``,
    ``topic`` (one topic per aggregate type keeps each entity's events in order) and
    ``aggregate_field`` (the field whose value is the Kafka key and the CloudEvents subject).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    topic: ClassVar[str]
    aggregate_field: ClassVar[str]
    summary: ClassVar[str] = ""

    @classmethod
    def cloudevents_type(cls) -> str:
        return f"{cls.event_type}.v{cls.event_version}"

    def aggregate_id(self) -> str:
        return str(getattr(self, self.aggregate_field))


class EventEnvelope(BaseModel):
    """CloudEvents 1.0 structured-mode envelope, as published to Kafka and over webhooks."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str
    time: dt.datetime
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    # W3C trace context (CloudEvents distributed tracing extension).
    traceparent: str | None = None
    tracestate: str | None = None

    @property
    def base_type(self) -> str:
        """The event type without its version suffix."""
        name, _, version = self.type.rpartition(".v")
        return name if version.isdigit() else self.type

    @property
    def version(self) -> int:
        _, _, version = self.type.rpartition(".v")
        return int(version) if version.isdigit() else 1


def wrap(
    event: DomainEvent,
    *,
    source: str,
    occurred_at: dt.datetime | None = None,
    traceparent: str | None = None,
    tracestate: str | None = None,
) -> EventEnvelope:
    return EventEnvelope(
        source=source,
        type=event.cloudevents_type(),
        subject=event.aggregate_id(),
        time=occurred_at or dt.datetime.now(dt.UTC),
        data=event.model_dump(mode="json"),
        traceparent=traceparent,
        tracestate=tracestate,
    )
