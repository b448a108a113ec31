"""``/v1/enterprises``."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Depends, Request, Response, status
from shared.auth import CurrentPrincipal, Principal, may_act_on_region
from shared.http.etag import etag_for
from shared.http.problems import ProblemError, not_found

from registry.api.schemas import EnterpriseCreate, EnterprisePublic
from registry.db import repository
from registry.domain.credit_code import InvalidCreditCode
from registry.handlers import EnterpriseAlreadyRegistered, RegisterEnterprise, register_enterprise

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])


def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]


def _mask(value: str | None, *, visible: bool) -> str | None:
    if value is None or visible:
        return value
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{value[:3]}****{value[-4:]}" if len(value) > 7 else "****"


def to_public(row: asyncpg.Record, principal: Principal) -> EnterprisePublic:
    contacts_visible = may_act_on_region(principal, row["region_code"], write=True)
    return EnterprisePublic(
        id=row["id"],
        credit_code=row["credit_code"],
        credit_code_override=row["credit_code_override"] is not None,
        name=row["name"],
        region_code=row["region_code"],
        kinds=list(row["kinds"]),
        contact_phone=_mask(row["contact_phone"], visible=contacts_visible),
        contact_email=_mask(row["contact_email"], visible=contacts_visible),
        status=row["status"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EnterprisePublic)
async def create_enterprise(
    body: EnterpriseCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    request: Request,
    response: Response,
) -> EnterprisePublic:
    if not may_act_on_region(principal, body.region_code, write=True):
        raise ProblemError(
            status=403,
            title="Forbidden",
            detail=f"you may not register enterprises in region {body.region_code}",
        )
    command = RegisterEnterprise(
        credit_code=body.credit_code,
        name=body.name,
        region_code=body.region_code,
        kinds=[kind.value for kind in body.kinds],
        contact_phone=body.contact_phone,
        contact_email=body.contact_email,
        legacy_code_reason=body.legacy_code_reason,
    )
    try:
        row = await register_enterprise(
            pool,
            command=command,
            actor=principal.subject,
            topic_prefix=request.app.state.settings.kafka_topic_prefix,
        )
    except InvalidCreditCode as exc:
        raise ProblemError(
            status=422,
            title="Invalid unified social credit code",
            detail=str(exc),
            extra={
                "errors": [
                    {"field": "body.credit_code", "message": str(exc), "type": "credit_code"}
                ]
            },
        ) from exc
    except EnterpriseAlreadyRegistered as exc:
        raise ProblemError(
            status=409,
            title="Enterprise already registered",
            detail=f"credit code {command.credit_code} belongs to enterprise {exc.existing_id}",
            extra={
                "existing_id": str(exc.existing_id),
                "existing_name": exc.existing_name,
                "existing_url": f"/v1/enterprises/{exc.existing_id}",
            },
        ) from exc
    response.headers["Location"] = f"/v1/enterprises/{row['id']}"
    response.headers["ETag"] = etag_for(row["version"])
    return to_public(row, principal)


@router.get("/{enterprise_id}", response_model=EnterprisePublic)
async def get_enterprise(
    enterprise_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool, response: Response
) -> EnterprisePublic:
    async with pool.acquire() as connection:
        row = await repository.enterprise_by_id(connection, enterprise_id)
    # Another region's record is reported as absent, not as forbidden.
    if row is None or not may_act_on_region(principal, row["region_code"], write=False):
        raise not_found("enterprise", str(enterprise_id))
    response.headers["ETag"] = etag_for(row["version"])
    return to_public(row, principal)
