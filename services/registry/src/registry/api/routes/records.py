"""``/v1/{enterprises,stores,parks,teams,brands,products}``: one router per record type, built
from its spec: register, read, update and close (both with If-Match), list and search, history."""

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg
from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel

from registry.api.access_log import record_personal_reads
from registry.api.deps import Pool, Regions, Settings
from registry.api.list_filters import filter_parameters, filtered_query
from registry.api.schemas import Change, CloseRequest
from registry.api.scope import (
    may_access,
    require_known_region,
    require_may_act_for_enterprises,
    require_region_write,
)
from registry.db import entity_queries as queries
from registry.entities.definitions import ENTERPRISE
from registry.entities.handlers import (
    ConstraintViolated,
    DuplicateRecord,
    RecordClosed,
    RecordNotFound,
    UnknownEnterprise,
    close_record,
    register_record,
    update_record,
)
from registry.entities.spec import EntitySpec
from shared.auth import CurrentPrincipal, Principal
from shared.http import catalogue
from shared.http.etag import check_if_match, etag_for
from shared.http.headers import ETAG, LOCATION, if_match_header, sends
from shared.http.idempotency import claim_idempotency_key
from shared.http.pagination import Page, PageLimit, cursor_int, encode_cursor, read_cursor
from shared.http.problems import ProblemError, not_found
from shared.i18n import t
from shared.masking import mask_fields

Prepare = Callable[[dict[str, Any], Principal], dict[str, Any]]


# The two scope questions this module asks, each in one place.


def may_read(principal: Principal, spec: EntitySpec, row: Mapping[str, Any]) -> bool:
    return may_access(principal, spec, row, write=False)


def sees_personal_data(principal: Principal, spec: EntitySpec, row: Mapping[str, Any]) -> bool:
    """Contacts show unmasked to those who administer the record (reads, lists, history)."""
    return not spec.masked_columns or may_access(principal, spec, row, write=True)


def to_public(spec: EntitySpec, row: asyncpg.Record, principal: Principal) -> BaseModel:
    values = dict(row)
    if not sees_personal_data(principal, spec, row):
        values = mask_fields(values, spec.masked_columns) or values
    if "credit_code_override" in values:
        values["credit_code_override"] = values["credit_code_override"] is not None
    return spec.public_schema.model_validate(values)


def _duplicate(exc: DuplicateRecord, spec: EntitySpec, principal: Principal) -> ProblemError:
    """The existing record is named only to a caller who may read it; to others its existence
    is all the 409 says (the key is unique across the country, so the conflict itself stays)."""
    key = ", ".join(spec.natural_key)
    if not may_read(principal, spec, exc.existing):
        return ProblemError(
            catalogue.ALREADY_REGISTERED,
            t(
                f"{key} 相同的{spec.label_zh}已登记",
                f"a {spec.name} with the same {key} is registered",
            ),
        )
    return ProblemError(
        catalogue.ALREADY_REGISTERED,
        t(
            f"{key} 相同的{spec.label_zh}已登记：{exc.existing_id}",
            f"the same {key} belongs to {spec.name} {exc.existing_id}",
        ),
        extra={
            "existing_id": str(exc.existing_id),
            "existing_name": exc.existing_name,
            "existing_url": f"/v1/{spec.path}/{exc.existing_id}",
        },
    )


def _problem_for(exc: Exception, spec: EntitySpec) -> ProblemError:
    if isinstance(exc, ConstraintViolated):
        fields = exc.fields or ("body",)
        listed = ", ".join(fields)
        return ProblemError(
            catalogue.VALIDATION_FAILED,
            t(f"{listed}：{exc.message}", f"{listed}: {exc.message}"),
            extra={
                "errors": [
                    {
                        "field": f"body.{field}" if exc.fields else field,
                        "message": exc.message,
                        "type": "constraint",
                    }
                    for field in fields
                ]
            },
        )
    if isinstance(exc, UnknownEnterprise):
        return ProblemError(
            catalogue.UNKNOWN_ENTERPRISE,
            t(f"企业不存在：{exc}", str(exc)),
            extra={
                "errors": [
                    {
                        "field": f"body.{exc.column}",
                        "message": "no such enterprise",
                        "type": "reference",
                    }
                ]
            },
        )
    if isinstance(exc, RecordClosed):
        return ProblemError(
            catalogue.RECORD_CLOSED, t(f"该{spec.label_zh}已注销", f"this {spec.name} is closed")
        )
    return not_found(t(spec.label_zh, spec.name), str(exc))


def records_router(spec: EntitySpec, *, prepare_create: Prepare | None = None) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{spec.path}", tags=[spec.path])
    create_schema, update_schema, public_schema = (
        spec.create_schema,
        spec.update_schema,
        spec.public_schema,
    )

    def visible_or_404(
        principal: Principal, row: asyncpg.Record | None, record_id: uuid.UUID
    ) -> asyncpg.Record:
        if row is None or not may_read(principal, spec, row):
            raise not_found(t(spec.label_zh, spec.name), str(record_id))
        return row

    def writer(principal: Principal, if_match: str | None) -> Callable[[asyncpg.Record], None]:
        def authorize(row: asyncpg.Record) -> None:
            visible_or_404(principal, row, row["id"])
            require_region_write(principal, row["region_code"], owner=_owner(row))
            check_if_match(if_match, row["version"])  # updates and closes alike: 428, 412

        return authorize

    def _owner(row: Any) -> str | None:
        value = row.get(spec.owner_column) if spec.owner_column else None
        return str(value) if value is not None else None

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
        pool: Pool,
        regions: Regions,
        settings: Settings,
        response: Response,
    ) -> BaseModel:
        values = body.model_dump(mode="python")  # type: ignore[attr-defined]
        require_known_region(regions, values["region_code"])
        require_region_write(principal, values["region_code"], owner=_owner(values))
        await require_may_act_for_enterprises(pool, principal, spec, values)
        if prepare_create is not None:
            values = prepare_create(values, principal)

        async def claim(connection: asyncpg.Connection, row: asyncpg.Record) -> None:
            response.headers["Location"] = f"/v1/{spec.path}/{row['id']}"
            response.headers["ETag"] = etag_for(row["version"])
            await claim_idempotency_key(
                connection,
                request,
                status_code=status.HTTP_201_CREATED,
                content=to_public(spec, row, principal),
                headers=response.headers,
            )

        try:
            row = await register_record(
                pool,
                spec,
                values=values,
                actor=principal,
                topic_prefix=settings.kafka_topic_prefix,
                event_source=settings.event_source,
                before_commit=claim,
            )
        except DuplicateRecord as exc:
            raise _duplicate(exc, spec, principal) from exc
        except (UnknownEnterprise, ConstraintViolated) as exc:
            raise _problem_for(exc, spec) from exc
        return to_public(spec, row, principal)

    @router.get(
        "/{record_id}",
        response_model=public_schema,
        summary=f"Read a {spec.name}",
        responses=sends(200, ETAG),
    )
    async def read(
        record_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool, response: Response
    ) -> BaseModel:
        row = visible_or_404(
            principal, await pool.fetchrow(queries.by_id(spec), record_id), record_id
        )
        await record_personal_reads(pool, principal, spec, [row])
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
        pool: Pool,
        regions: Regions,
        settings: Settings,
        response: Response,
        if_match: str | None = if_match_header(),
    ) -> BaseModel:
        changes = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        if "region_code" in changes:
            require_known_region(regions, changes["region_code"])
            require_region_write(principal, changes["region_code"])
        await require_may_act_for_enterprises(pool, principal, spec, changes)
        try:
            row = await update_record(
                pool,
                spec,
                record_id=record_id,
                changes=changes,
                authorize=writer(principal, if_match),
                actor=principal,
                topic_prefix=settings.kafka_topic_prefix,
                event_source=settings.event_source,
            )
        except (RecordNotFound, RecordClosed, UnknownEnterprise, ConstraintViolated) as exc:
            raise _problem_for(exc, spec) from exc
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
        pool: Pool,
        settings: Settings,
        response: Response,
        if_match: str | None = if_match_header(),
    ) -> BaseModel:
        try:
            row = await close_record(
                pool,
                spec,
                record_id=record_id,
                closed_on=body.closed_on,
                reason=body.reason,
                authorize=writer(principal, if_match),
                actor=principal,
                topic_prefix=settings.kafka_topic_prefix,
                event_source=settings.event_source,
                before_commit=lambda connection, row: claim_idempotency_key(
                    connection,
                    request,
                    status_code=status.HTTP_200_OK,
                    content=to_public(spec, row, principal),
                    headers={"ETag": etag_for(row["version"])},
                ),
            )
        except (RecordNotFound, RecordClosed) as exc:
            raise _problem_for(exc, spec) from exc
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
        pool: Pool,
        cursor: str | None = None,
        limit: PageLimit = 50,
    ) -> Page[Change]:
        after = read_cursor(cursor, lambda p: cursor_int(p["change"]))
        record = visible_or_404(
            principal, await pool.fetchrow(queries.by_id(spec), record_id), record_id
        )
        rows = await pool.fetch(queries.HISTORY_PAGE, spec.name, record_id, after, limit + 1)
        changes = [dict(row) for row in rows[:limit]]
        if not sees_personal_data(principal, spec, record):
            for change in changes:
                for side in ("old_values", "new_values"):
                    change[side] = mask_fields(change[side], spec.masked_columns)
        return Page[Change](
            items=[Change.model_validate(change) for change in changes],
            next_cursor=encode_cursor({"change": rows[limit - 1]["id"]})
            if len(rows) > limit
            else None,
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
        pool: Pool,
        regions: Regions,
        region: str | None = Query(default=None, pattern=r"^\d{6}$"),
        record_status: str | None = Query(
            default=None, alias="status", pattern="^(active|closed)$"
        ),
        q: str | None = Query(default=None, min_length=1, max_length=100),
        cursor: str | None = None,
        limit: PageLimit = 50,
    ) -> Page[Any]:
        query = filtered_query(spec, request, principal, regions, region, record_status, q)
        if q:
            offset = read_cursor(cursor, lambda p: int(p.get("offset", 0))) or 0
            rows = await pool.fetch(query.sql(limit=limit + 1, offset=offset), *query.params)
            next_position: dict[str, Any] = {"offset": offset + limit}
        else:
            after = read_cursor(
                cursor, lambda p: (dt.datetime.fromisoformat(p["created_at"]), uuid.UUID(p["id"]))
            )
            rows = await pool.fetch(query.sql(limit=limit + 1, after=after), *query.params)
            next_position = (
                {
                    "created_at": rows[limit - 1]["created_at"].isoformat(),
                    "id": str(rows[limit - 1]["id"]),
                }
                if len(rows) > limit
                else {}
            )
        items = [to_public(spec, row, principal) for row in rows[:limit]]
        await record_personal_reads(
            pool, principal, spec, rows[:limit], filters=request.query_params
        )
        return Page[Any](
            items=items, next_cursor=encode_cursor(next_position) if len(rows) > limit else None
        )

    return router
