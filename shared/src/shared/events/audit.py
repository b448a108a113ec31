"""Audit-trail anchors: each service publishes its audit chain head from time to time, so a
system outside the service holds proof of the log's state at that time (docs/audit.md)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from shared.events.envelope import DomainEvent


class AuditCheckpointRecorded(DomainEvent):
    event_type = "audit.checkpoint.recorded"
    topic = "audit.checkpoint"
    aggregate_field = "service"
    summary = (
        "A service's audit chain head at a moment: a later rewrite of its log before this "
        "position no longer matches (001 (二十三) 交易日志留存)."
    )

    service: str = Field(description="the service whose audit chain this is (registry, …)")
    seq: int = Field(description="the position of the last audit row in the chain")
    row_hash: str = Field(description="SHA-256 (hex) of that row, chained over every row before")
    head_recorded_at: dt.datetime | None = Field(
        default=None, description="when that row was recorded (UTC)"
    )
    checkpointed_at: dt.datetime


AUDIT_EVENTS: tuple[type[DomainEvent], ...] = (AuditCheckpointRecorded,)
