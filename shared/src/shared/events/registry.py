"""Events published by the registry service: one topic per aggregate type.

``…registered`` carries the new record; ``…updated`` the fields that changed, old and new;
``…closed`` the closing date (records are never deleted).

Personal data: integrators read these events, so they carry what identifies a record (names,
credit codes, shop ids, regions, owning enterprises; a store run by an individual names its
owner in ``owner_individual``) but never contact channels (phone, e-mail) or personal ID
numbers, neither old nor new. An update of such a field lists its name in
``personal_data_changed``; a consumer that needs the value reads the record through the API,
which masks it for callers who do not administer the record's region.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.events.envelope import DomainEvent


class FieldChange(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    old: Any = None
    new: Any = None


class _Updated(DomainEvent):
    version: int
    changes: dict[str, FieldChange] = Field(
        description="The fields that changed, old and new values; personal data is left out"
    )
    personal_data_changed: list[str] = Field(
        default_factory=list,
        description="Fields holding personal data (contact phone, e-mail) that changed too; "
        "their values are never published",
    )
    updated_by: str | None = None


class _Closed(DomainEvent):
    version: int
    closed_on: dt.date
    reason: str | None = None
    closed_by: str | None = None


# Enterprises ---------------------------------------------------------------------------------


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


class EnterpriseUpdated(_Updated):
    event_type = "registry.enterprise.updated"
    topic = "registry.enterprise"
    aggregate_field = "enterprise_id"
    summary = "Fields of an enterprise changed (old and new values)."

    enterprise_id: str


class EnterpriseClosed(_Closed):
    event_type = "registry.enterprise.closed"
    topic = "registry.enterprise"
    aggregate_field = "enterprise_id"
    summary = "An enterprise was closed (deactivated); its record stays."

    enterprise_id: str


class EnterpriseStatisticsYearSet(DomainEvent):
    event_type = "registry.enterprise.statistics_year_set"
    topic = "registry.enterprise"
    aggregate_field = "enterprise_id"
    summary = (
        "Whether an enterprise is in the statistics list (限额以上/上规入统) in a year was "
        "recorded; the latest for an enterprise and year holds."
    )

    enterprise_id: str
    year: int
    in_list: bool
    set_by: str | None = None


# Stores --------------------------------------------------------------------------------------


class StoreRegistered(DomainEvent):
    event_type = "registry.store.registered"
    topic = "registry.store"
    aggregate_field = "store_id"
    summary = "An online store was entered in the registry."

    store_id: str
    platform: str
    platform_shop_id: str
    name: str
    region_code: str
    owner_enterprise_id: str | None = None
    owner_individual: str | None = None
    category: str | None = None
    opened_on: dt.date | None = None


class StoreUpdated(_Updated):
    event_type = "registry.store.updated"
    topic = "registry.store"
    aggregate_field = "store_id"
    summary = "Fields of a store changed (old and new values)."

    store_id: str


class StoreClosed(_Closed):
    event_type = "registry.store.closed"
    topic = "registry.store"
    aggregate_field = "store_id"
    summary = "A store closed."

    store_id: str


# Parks and bases -----------------------------------------------------------------------------


class ParkRegistered(DomainEvent):
    event_type = "registry.park.registered"
    topic = "registry.park"
    aggregate_field = "park_id"
    summary = "A park or base (industrial park, live-streaming base, …) was registered."

    park_id: str
    kind: str
    name: str
    region_code: str
    operator_enterprise_id: str | None = None
    floor_area_m2: str | None = Field(default=None, description="decimal, as a string")
    live_rooms: int | None = None


class ParkUpdated(_Updated):
    event_type = "registry.park.updated"
    topic = "registry.park"
    aggregate_field = "park_id"
    summary = "Fields of a park or base changed (old and new values)."

    park_id: str


class ParkClosed(_Closed):
    event_type = "registry.park.closed"
    topic = "registry.park"
    aggregate_field = "park_id"
    summary = "A park or base closed."

    park_id: str


class ResidentJoined(DomainEvent):
    event_type = "registry.park.resident_joined"
    topic = "registry.park"
    aggregate_field = "park_id"
    summary = "An enterprise became resident in a park or base (004 annex 7)."

    park_id: str
    residence_id: str
    enterprise_id: str
    joined_on: dt.date


class ResidentLeft(DomainEvent):
    event_type = "registry.park.resident_left"
    topic = "registry.park"
    aggregate_field = "park_id"
    summary = "A resident enterprise left a park or base."

    park_id: str
    residence_id: str
    enterprise_id: str
    left_on: dt.date


# Live-streaming teams, brands, best-selling products -----------------------------------------


class TeamRegistered(DomainEvent):
    event_type = "registry.team.registered"
    topic = "registry.team"
    aggregate_field = "team_id"
    summary = "A live-streaming team was registered."

    team_id: str
    enterprise_id: str
    name: str
    region_code: str


class TeamUpdated(_Updated):
    event_type = "registry.team.updated"
    topic = "registry.team"
    aggregate_field = "team_id"
    summary = "Fields of a live-streaming team changed."

    team_id: str


class TeamClosed(_Closed):
    event_type = "registry.team.closed"
    topic = "registry.team"
    aggregate_field = "team_id"
    summary = "A live-streaming team was deactivated."

    team_id: str


class BrandRegistered(DomainEvent):
    event_type = "registry.brand.registered"
    topic = "registry.brand"
    aggregate_field = "brand_id"
    summary = "A brand was registered."

    brand_id: str
    enterprise_id: str
    name: str
    region_code: str
    label: str | None = None


class BrandUpdated(_Updated):
    event_type = "registry.brand.updated"
    topic = "registry.brand"
    aggregate_field = "brand_id"
    summary = "Fields of a brand changed."

    brand_id: str


class BrandClosed(_Closed):
    event_type = "registry.brand.closed"
    topic = "registry.brand"
    aggregate_field = "brand_id"
    summary = "A brand was deactivated."

    brand_id: str


class ProductRegistered(DomainEvent):
    event_type = "registry.product.registered"
    topic = "registry.product"
    aggregate_field = "product_id"
    summary = "A best-selling product was registered."

    product_id: str
    enterprise_id: str
    name: str
    region_code: str
    brand_id: str | None = None
    category: str | None = None


class ProductUpdated(_Updated):
    event_type = "registry.product.updated"
    topic = "registry.product"
    aggregate_field = "product_id"
    summary = "Fields of a best-selling product changed."

    product_id: str


class ProductClosed(_Closed):
    event_type = "registry.product.closed"
    topic = "registry.product"
    aggregate_field = "product_id"
    summary = "A best-selling product was deactivated."

    product_id: str


REGISTRY_EVENTS: tuple[type[DomainEvent], ...] = (
    EnterpriseRegistered, EnterpriseUpdated, EnterpriseClosed, EnterpriseStatisticsYearSet,
    StoreRegistered, StoreUpdated, StoreClosed,
    ParkRegistered, ParkUpdated, ParkClosed, ResidentJoined, ResidentLeft,
    TeamRegistered, TeamUpdated, TeamClosed,
    BrandRegistered, BrandUpdated, BrandClosed,
    ProductRegistered, ProductUpdated, ProductClosed,
)  # fmt: skip
