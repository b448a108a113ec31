"""Request and response bodies of the registry API (``XCreate`` / ``XUpdate`` / ``XPublic``).

Updates are partial: only the fields sent change. Unknown fields are refused everywhere.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from registry.domain.vocabulary import EnterpriseKind, ParkKind, Platform
from shared.http.request_body import RequestBody

RegionCode = Field(pattern=r"^\d{6}$", description="GB/T 2260 division code")
Name = Field(min_length=1, max_length=200)
Phone = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")
INT4_MAX = 2**31 - 1  # the columns are PostgreSQL integers


def _drop_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def omissible(**constraints: Any) -> Any:
    """A field an update may leave out but never set to null (its column is NOT NULL).

    The default only stands for "not sent" (routes read what was sent: ``exclude_unset``);
    the type refuses an explicit null with a 422 naming the field, and the schema shows no
    null default."""
    return Field(default=None, json_schema_extra=_drop_default, **constraints)


UpdatedName = omissible(min_length=1, max_length=200)
UpdatedRegion = omissible(pattern=r"^\d{6}$", description="GB/T 2260 division code")


class _Body(RequestBody):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Public(BaseModel):
    id: uuid.UUID
    status: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


# Enterprises

# 成立日期: "新增电商企业" (000 一(二)) counts the enterprises established in the programme period
# (docs/target-progress.md); a record without it is not counted as new.
Established = Field(
    default=None,
    description="成立日期 (on the business licence); an enterprise without it is not counted "
    "among the new enterprises of a period",
)


class EnterpriseCreate(_Body):
    credit_code: str = Field(min_length=1, max_length=40, description="统一社会信用代码")
    name: str = Name
    region_code: str = RegionCode
    kinds: list[EnterpriseKind] = Field(default_factory=list, max_length=20)
    contact_phone: str | None = Phone
    contact_email: EmailStr | None = None
    established_on: dt.date | None = Established
    legacy_code_reason: str | None = Field(
        default=None,
        max_length=500,
        description="Only for a legacy code that fails the GB 32100 check: why it is accepted "
        "(an audited override; province administrators only)",
    )


class EnterpriseUpdate(_Body):
    name: str = UpdatedName
    region_code: str = UpdatedRegion
    kinds: list[EnterpriseKind] = omissible(max_length=20)
    contact_phone: str | None = Phone
    contact_email: EmailStr | None = None
    established_on: dt.date | None = Established


class EnterprisePublic(_Public):
    credit_code: str
    credit_code_override: bool
    name: str
    region_code: str
    kinds: list[str]
    contact_phone: str | None
    contact_email: str | None
    established_on: dt.date | None = None


class StatisticsListYear(_Body):
    """限额以上 / 上规入统 in one year (000 §1; 004 四(二)3)."""

    year: int = Field(ge=2000, le=2100)
    in_list: bool


# Stores


class StoreCreate(_Body):
    platform: Platform
    platform_shop_id: str = Field(min_length=1, max_length=100)
    name: str = Name
    owner_enterprise_id: uuid.UUID | None = None
    owner_individual: str | None = Field(default=None, max_length=100)
    region_code: str = RegionCode
    category: str | None = Field(default=None, max_length=100)
    opened_on: dt.date | None = None


class StoreUpdate(_Body):
    name: str = UpdatedName
    owner_enterprise_id: uuid.UUID | None = None
    owner_individual: str | None = Field(default=None, max_length=100)
    region_code: str = UpdatedRegion
    category: str | None = Field(default=None, max_length=100)
    opened_on: dt.date | None = None


class StorePublic(_Public):
    platform: str
    platform_shop_id: str
    name: str
    owner_enterprise_id: uuid.UUID | None
    owner_individual: str | None
    region_code: str
    category: str | None
    opened_on: dt.date | None
    closed_on: dt.date | None


# Parks and bases


class ParkCreate(_Body):
    kind: ParkKind
    name: str = Name
    operator_enterprise_id: uuid.UUID | None = None
    region_code: str = RegionCode
    floor_area_m2: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    live_rooms: int | None = Field(default=None, ge=0, le=INT4_MAX)
    opened_on: dt.date | None = None


class ParkUpdate(_Body):
    name: str = UpdatedName
    operator_enterprise_id: uuid.UUID | None = None
    region_code: str = UpdatedRegion
    floor_area_m2: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    live_rooms: int | None = Field(default=None, ge=0, le=INT4_MAX)
    opened_on: dt.date | None = None


class ParkPublic(_Public):
    kind: str
    name: str
    operator_enterprise_id: uuid.UUID | None
    region_code: str
    floor_area_m2: Decimal | None
    live_rooms: int | None
    opened_on: dt.date | None
    closed_on: dt.date | None


class ResidentJoin(_Body):
    """An enterprise moving into a park or base (004 附件7 入驻电商企业名单)."""

    enterprise_id: uuid.UUID
    joined_on: dt.date


class ResidentLeave(_Body):
    left_on: dt.date


class ResidentPublic(BaseModel):
    id: uuid.UUID
    park_id: uuid.UUID
    enterprise_id: uuid.UUID
    joined_on: dt.date
    left_on: dt.date | None


# Live-streaming teams, brands, best-selling products


class TeamCreate(_Body):
    enterprise_id: uuid.UUID
    name: str = Name
    region_code: str = RegionCode
    members: int | None = Field(default=None, ge=0, le=INT4_MAX)
    hosts: int | None = Field(default=None, ge=0, le=INT4_MAX)


class TeamUpdate(_Body):
    name: str = UpdatedName
    region_code: str = UpdatedRegion
    members: int | None = Field(default=None, ge=0, le=INT4_MAX)
    hosts: int | None = Field(default=None, ge=0, le=INT4_MAX)


class TeamPublic(_Public):
    enterprise_id: uuid.UUID
    name: str
    region_code: str
    members: int | None
    hosts: int | None


class BrandCreate(_Body):
    enterprise_id: uuid.UUID
    name: str = Name
    region_code: str = RegionCode
    label: str | None = Field(default=None, max_length=50, description="e.g. 贵字号, 青字号")


class BrandUpdate(_Body):
    name: str = UpdatedName
    region_code: str = UpdatedRegion
    label: str | None = Field(default=None, max_length=50)


class BrandPublic(_Public):
    enterprise_id: uuid.UUID
    name: str
    region_code: str
    label: str | None


class ProductCreate(_Body):
    enterprise_id: uuid.UUID
    brand_id: uuid.UUID | None = None
    name: str = Name
    region_code: str = RegionCode
    category: str | None = Field(default=None, max_length=100)


class ProductUpdate(_Body):
    brand_id: uuid.UUID | None = None
    name: str = UpdatedName
    region_code: str = UpdatedRegion
    category: str | None = Field(default=None, max_length=100)


class ProductPublic(_Public):
    enterprise_id: uuid.UUID
    brand_id: uuid.UUID | None
    name: str
    region_code: str
    category: str | None


class CloseRequest(_Body):
    closed_on: dt.date | None = None
    reason: str | None = Field(default=None, max_length=500)


class Change(BaseModel):
    version: int
    action: str
    changed_by: str
    changed_at: dt.datetime
    old_values: dict[str, object] | None
    new_values: dict[str, object] | None


class ImportRowError(BaseModel):
    row: int = Field(description="Row number as a spreadsheet shows it (the header is row 1)")
    column: str = Field(description="The column as headed in Chinese")
    reason: str


class ImportJobPublic(BaseModel):
    id: uuid.UUID
    kind: str
    mode: str = Field(description="dry_run, all_or_nothing or good_rows")
    status: str = Field(
        description="queued (waiting for an importer); running; succeeded; rejected "
        "(all_or_nothing with bad rows: nothing stored); failed (unreadable file, wrong header "
        "row, or interrupted)"
    )
    committed: bool = Field(description="Whether the loaded rows are stored")
    file_name: str | None
    file_sha256: str
    total_rows: int = Field(description="Data rows in the file (an estimate while running)")
    processed_rows: int
    progress: float = Field(description="Share of the rows processed, 0 to 1")
    loaded_rows: int = Field(description="Rows loaded (or, for a dry run, that would load)")
    skipped_rows: int = Field(description="Rows already in the registry, left as they are")
    error_rows: int
    errors_total: int
    errors: list[ImportRowError] = Field(description="Every error, up to the first 10,000")
    failure: str | None
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class RecordSchemas:
    """A record type's bodies: what registers it, what changes it, what is read back."""

    create: type[BaseModel]
    update: type[BaseModel]
    public: type[BaseModel]


# By record type (``EntitySpec.name``).
RECORD_SCHEMAS: dict[str, RecordSchemas] = {
    "enterprise": RecordSchemas(EnterpriseCreate, EnterpriseUpdate, EnterprisePublic),
    "store": RecordSchemas(StoreCreate, StoreUpdate, StorePublic),
    "park": RecordSchemas(ParkCreate, ParkUpdate, ParkPublic),
    "team": RecordSchemas(TeamCreate, TeamUpdate, TeamPublic),
    "brand": RecordSchemas(BrandCreate, BrandUpdate, BrandPublic),
    "product": RecordSchemas(ProductCreate, ProductUpdate, ProductPublic),
}


# Programme revisions (docs/programmes.md, "Revisions").


class ProgrammeRevisionCreate(RequestBody):
    definition: dict[str, Any] = Field(
        description="The whole programme, as `GET /v1/programmes/{id}` answers it and the "
        "programme files write it (docs/programmes.md)"
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why, for the record")


class ProgrammeRevisionSummary(BaseModel):
    programme_id: str
    revision: int = Field(description="1 for the shipped file, then one more per change")
    source: str = Field(description="`file`: a programme file at deploy; `api`: this API")
    file_sha256: str | None = Field(description="SHA-256 of the file, for source `file`")
    author: str = Field(description="The token's subject; `deploy` for a file")
    reason: str
    created_at: dt.datetime


class FieldChange(BaseModel):
    path: str = Field(
        description="The field, dotted; a list item by its id in brackets "
        "(`rewards[traffic-subsidy].amount_per_unit`)"
    )
    before: Any = Field(description="null for an item added")
    after: Any = Field(description="null for an item removed")


class ProgrammeRevisionPublic(ProgrammeRevisionSummary):
    definition: dict[str, Any]
    previous_revision: int | None = Field(description="What `changes` compares with")
    changes: list[FieldChange]
