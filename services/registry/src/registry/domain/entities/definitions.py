"""The registry's record types, each described once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.domain.entities.spec import EntitySpec, Invariant
from shared.events import registry as events
from shared.masking import CONTACT_FIELDS


def _id(row: Mapping[str, Any], column: str) -> str | None:
    value = row.get(column)
    return str(value) if value is not None else None


ENTERPRISE = EntitySpec(
    name="enterprise",
    table="enterprises",
    path="enterprises",
    label_zh="电商企业",
    id_field="enterprise_id",
    registered=lambda row, actor: events.EnterpriseRegistered(
        enterprise_id=str(row["id"]),
        credit_code=row["credit_code"],
        name=row["name"],
        region_code=row["region_code"],
        kinds=list(row["kinds"]),
        registered_by=actor,
    ),
    updated_event=events.EnterpriseUpdated,
    closed_event=events.EnterpriseClosed,
    owner_column="id",
    natural_key=("credit_code",),
    filters={"kind": "kinds"},
    date_filters=("created_at",),
    masked_columns=CONTACT_FIELDS,
)

STORE = EntitySpec(
    name="store",
    table="stores",
    path="stores",
    label_zh="网络店铺",
    id_field="store_id",
    registered=lambda row, actor: events.StoreRegistered(
        store_id=str(row["id"]),
        platform=row["platform"],
        platform_shop_id=row["platform_shop_id"],
        name=row["name"],
        region_code=row["region_code"],
        owner_enterprise_id=_id(row, "owner_enterprise_id"),
        owner_individual=row["owner_individual"],
        category=row["category"],
        opened_on=row["opened_on"],
    ),
    updated_event=events.StoreUpdated,
    closed_event=events.StoreClosed,
    owner_column="owner_enterprise_id",
    enterprise_columns=("owner_enterprise_id",),
    natural_key=("platform", "platform_shop_id"),
    filters={
        "platform": "platform",
        "category": "category",
        "owner_enterprise_id": "owner_enterprise_id",
    },
    date_filters=("opened_on", "closed_on", "created_at"),
    invariants={
        "stores_owner": Invariant(
            ("owner_enterprise_id", "owner_individual"),
            "a store belongs to an enterprise or to an individual: give one of them",
        )
    },
)

PARK = EntitySpec(
    name="park",
    table="parks",
    path="parks",
    label_zh="电商园区与基地",
    id_field="park_id",
    registered=lambda row, actor: events.ParkRegistered(
        park_id=str(row["id"]),
        kind=row["kind"],
        name=row["name"],
        region_code=row["region_code"],
        operator_enterprise_id=_id(row, "operator_enterprise_id"),
        floor_area_m2=None if row["floor_area_m2"] is None else str(row["floor_area_m2"]),
        live_rooms=row["live_rooms"],
    ),
    updated_event=events.ParkUpdated,
    closed_event=events.ParkClosed,
    owner_column="operator_enterprise_id",
    enterprise_columns=("operator_enterprise_id",),
    filters={"kind": "kind", "operator_enterprise_id": "operator_enterprise_id"},
    date_filters=("opened_on", "created_at"),
)

TEAM = EntitySpec(
    name="team",
    table="live_teams",
    path="teams",
    label_zh="电商直播团队",
    id_field="team_id",
    registered=lambda row, actor: events.TeamRegistered(
        team_id=str(row["id"]),
        enterprise_id=str(row["enterprise_id"]),
        name=row["name"],
        region_code=row["region_code"],
    ),
    updated_event=events.TeamUpdated,
    closed_event=events.TeamClosed,
    owner_column="enterprise_id",
    enterprise_columns=("enterprise_id",),
    filters={"enterprise_id": "enterprise_id"},
    date_filters=("created_at",),
)

BRAND = EntitySpec(
    name="brand",
    table="brands",
    path="brands",
    label_zh="品牌",
    id_field="brand_id",
    registered=lambda row, actor: events.BrandRegistered(
        brand_id=str(row["id"]),
        enterprise_id=str(row["enterprise_id"]),
        name=row["name"],
        region_code=row["region_code"],
        label=row["label"],
    ),
    updated_event=events.BrandUpdated,
    closed_event=events.BrandClosed,
    owner_column="enterprise_id",
    enterprise_columns=("enterprise_id",),
    filters={"enterprise_id": "enterprise_id", "label": "label"},
    date_filters=("created_at",),
)

PRODUCT = EntitySpec(
    name="product",
    table="products",
    path="products",
    label_zh="畅销产品",
    id_field="product_id",
    registered=lambda row, actor: events.ProductRegistered(
        product_id=str(row["id"]),
        enterprise_id=str(row["enterprise_id"]),
        name=row["name"],
        region_code=row["region_code"],
        brand_id=_id(row, "brand_id"),
        category=row["category"],
    ),
    updated_event=events.ProductUpdated,
    closed_event=events.ProductClosed,
    owner_column="enterprise_id",
    enterprise_columns=("enterprise_id",),
    filters={"enterprise_id": "enterprise_id", "brand_id": "brand_id", "category": "category"},
    date_filters=("created_at",),
    invariants={"products_brand_id_fkey": Invariant(("brand_id",), "no such brand")},
)

ALL_SPECS: tuple[EntitySpec, ...] = (ENTERPRISE, STORE, PARK, TEAM, BRAND, PRODUCT)
