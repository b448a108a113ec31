"""``/v1/{enterprises,stores,parks,teams,brands,products}``: one router per record type, built
from its spec: register, read, update and close (both with If-Match), list and search, history."""

import uuid
from typing import Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel

from registry.api.deps import Ctx
from registry.api.list_filters import filter_parameters
from registry.api.schemas import RECORD_SCHEMAS, Change, CloseRequest
from registry.domain.entities.definitions import ENTERPRISE
from registry.domain.entities.spec import EntitySpec
from registry.domain.scope import sees_personal_data
from registry.handlers import record_reads, records
from registry.handlers.common import Connection, Row
from registry.handlers.listing import ListRequest
from shared.auth import CurrentPrincipal, Principal
from shared.http.etag import etag_for
from shared.http.headers import ETAG, LOCATION, if_match_header, sends
from shared.http.idempotency import claim_idempotency_key
from shared.http.pagination import Page, PageLimit
from shared.masking import mask_fields


def to_public(spec: EntitySpec, row: Row, principal: Principal) -> BaseModel:
    values = dict(row)
    if not sees_personal_data(principal, spec, row):
        values = mask_fields(values, spec.masked_columns) or values
    if "credit_code_override" in values:
        values["credit_code_override"] = values["credit_code_override"] is not None
    return RECORD_SCHEMAS[spec.name].public.model_validate(values)


def records_router(spec: EntitySpec) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{spec.path}", tags=[spec.path])
    schemas = RECORD_SCHEMAS[spec.name]
    create_schema, update_schema, public_schema = schemas.create, schemas.update, schemas.public

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=public_schema,
        summary=f"Register a {spec.name}",
        responses=sends(201, LOCATION, ETAG),
    )
    async def create(
        request: Request,
        body: create_schema,  # type: ignore[valid-type]
        principal: CurrentPrincipal,
        context: Ctx,
        response: Response,
    ) -> BaseModel:
        async def claim(connection: Connection, row: Row) -> None:
            response.headers["Location"] = f"/v1/{spec.path}/{row['id']}"
            response.headers["ETag"] = etag_for(row["version"])
            await claim_idempotency_key(
                connection,
                request,
                status_code=status.HTTP_201_CREATED,
                content=to_public(spec, row, principal),
                headers=response.headers,
            )

        row = await records.register(
            context,
            spec,
            principal,
            values=body.model_dump(mode="python"),  # type: ignore[attr-defined]
            before_commit=claim,
        )
        return to_public(spec, row, principal)

    @router.get(
        "/{record_id}",
        response_model=public_schema,
        summary=f"Read a {spec.name}",
        responses=sends(200, ETAG),
    )
    async def read(
        record_id: uuid.UUID, principal: CurrentPrincipal, context: Ctx, response: Response
    ) -> BaseModel:
        row = await record_reads.read(context, spec, principal, record_id)
        response.headers["ETag"] = etag_for(row["version"])
        return to_public(spec, row, principal)

    @router.patch(
        "/{record_id}",
        response_model=public_schema,
        summary=f"Change a {spec.name} (send If-Match with the ETag you read)",
        responses=sends(200, ETAG),
    )
    async def patch(
        record_id: uuid.UUID,
        body: update_schema,  # type: ignore[valid-type]
        principal: CurrentPrincipal,
        context: Ctx,
        response: Response,
        if_match: str | None = if_match_header(),
    ) -> BaseModel:
        row = await records.update(
            context,
            spec,
            principal,
            record_id=record_id,
            changes=body.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
            if_match=if_match,
        )
        response.headers["ETag"] = etag_for(row["version"])
        return to_public(spec, row, principal)

    @router.post(
        "/{record_id}/close",
        response_model=public_schema,
        summary=f"Close a {spec.name} (send If-Match with the ETag you read)",
        responses=sends(200, ETAG),
    )
    async def close(
        request: Request,
        record_id: uuid.UUID,
        body: CloseRequest,
        principal: CurrentPrincipal,
        context: Ctx,
        response: Response,
        if_match: str | None = if_match_header(),
    ) -> BaseModel:
        row = await records.close(
            context,
            spec,
            principal,
            record_id=record_id,
            closed_on=body.closed_on,
            reason=body.reason,
            if_match=if_match,
            before_commit=lambda connection, row: claim_idempotency_key(
                connection,
                request,
                status_code=status.HTTP_200_OK,
                content=to_public(spec, row, principal),
                headers={"ETag": etag_for(row["version"])},
            ),
        )
        response.headers["ETag"] = etag_for(row["version"])
        return to_public(spec, row, principal)

    @router.get(
        "/{record_id}/history",
        response_model=Page[Change],
        summary="Every change, oldest first (paged)",
        description="`limit` (default 50, at most 500) changes a page, oldest first; "
        "`next_cursor` reads on.",
    )
    async def history(
        record_id: uuid.UUID,
        principal: CurrentPrincipal,
        context: Ctx,
        cursor: str | None = None,
        limit: PageLimit = 50,
    ) -> Page[Change]:
        page = await record_reads.history_page(
            context, spec, principal, record_id=record_id, cursor=cursor, limit=limit
        )
        return Page[Change](
            items=[Change.model_validate(change) for change in page.changes],
            next_cursor=page.next_cursor,
        )

    @router.get(
        "",
        response_model=Page[public_schema],  # type: ignore[valid-type]
        summary=f"List or search {spec.path}",
        description="Filters: region (subtree), status, q (name search, relevance order), "
        "designated (true/false; with programme_id), "
        + ("in_statistics_list (true/false; with year), " if spec is ENTERPRISE else "")
        + ", ".join(spec.filters)
        + "; date ranges: "
        + ", ".join(f"{c}_from/{c}_to" for c in spec.date_filters),
        openapi_extra={"parameters": filter_parameters([spec])},
    )
    async def list_records(
        request: Request,
        principal: CurrentPrincipal,
        context: Ctx,
        region: str | None = Query(default=None, pattern=r"^\d{6}$"),
        record_status: str | None = Query(
            default=None, alias="status", pattern="^(active|closed)$"
        ),
        q: str | None = Query(default=None, min_length=1, max_length=100),
        cursor: str | None = None,
        limit: PageLimit = 50,
    ) -> Page[Any]:
        page = await record_reads.list_page(
            context,
            spec,
            principal,
            ListRequest(region, record_status, q, request.query_params),
            cursor=cursor,
            limit=limit,
        )
        return Page[Any](
            items=[to_public(spec, row, principal) for row in page.rows],
            next_cursor=page.next_cursor,
        )

    return router
