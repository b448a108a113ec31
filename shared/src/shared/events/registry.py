"""Events published by the registry service (topic per aggregate type)."""

from __future__ import annotations

from pydantic import Field

from shared.events.envelope import DomainEvent


class EnterpriseRegistered(DomainEvent):
    event_type = "registry.enterprise.registered"
    topic = "registry.enterprise"
    aggregate_field = "enterprise_id"
    summary = "An e-commerce enterprise was entered in the registry."

    enterprise_id: str
    credit_code: str = Field(description="Unified social credit code (GB 32100-2015)")
    name: str
    region_code: str = Field(description="GB/T 2260 division code of the enterprise")
    kinds: list[str] = Field(default_factory=list)
    registered_by: str | None = None
