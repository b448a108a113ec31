"""Request and response bodies of the registry API (``XCreate`` / ``XPublic``)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from registry.domain.vocabulary import EnterpriseKind


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    credit_code: str = Field(min_length=1, max_length=40, description="统一社会信用代码")
    name: str = Field(min_length=1, max_length=200)
    region_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 division code")
    kinds: list[EnterpriseKind] = Field(default_factory=list)
    contact_phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")
    contact_email: EmailStr | None = None
    legacy_code_reason: str | None = Field(
        default=None,
        max_length=500,
        description="Only for a legacy code that fails the GB 32100 check: why it is accepted",
    )


class EnterprisePublic(BaseModel):
    id: uuid.UUID
    credit_code: str
    credit_code_override: bool
    name: str
    region_code: str
    kinds: list[str]
    contact_phone: str | None
    contact_email: str | None
    status: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
