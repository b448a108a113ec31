"""``/v1/parks/{park_id}/residents``: the enterprises resident in a park or base, with join and
leave dates (004 附件7 省级电商产业示范园区、示范基地入驻电商企业名单)."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
from fastapi import APIRouter, Request, status

from registry.api.deps import Pool, Settings
from registry.api.schemas import ResidentJoin, ResidentLeave, ResidentPublic
from registry.api.scope import may_access, require_may_act_for_enterprise, require_region_write
from registry.db import entity_queries, queries
from registry.db.repository import record_change
from registry.entities.definitions import PARK
from shared import audit
from shared.auth import CurrentPrincipal, Principal
from shared.events.registry import ResidentJoined, ResidentLeft
from shared.http import catalogue
from shared.http.idempotency import claim_idempotency_key
from shared.http.pagination import Page, PageLimit, encode_cursor, read_cursor
from shared.http.problems import ProblemError, invalid, not_found
from shared.i18n import t
from shared.messaging.outbox import append_events

router = APIRouter(prefix="/v1/parks/{park_id}/residents", tags=["parks"])


async def _park(
    connection: asyncpg.Connection, principal: Principal, park_id: uuid.UUID, *, write: bool
) -> asyncpg.Record:
    park = await connection.fetchrow(entity_queries.by_id(PARK, for_update=write), park_id)
    if park is None or not may_access(principal, PARK, park, write=False):
        raise not_found(t("园区", "park"), str(park_id))
    if write:
        operator = park["operator_enterprise_id"]
        require_region_write(
            principal, park["region_code"], owner=str(operator) if operator else None
        )
    return park


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ResidentPublic)
async def join(
    request: Request,
    park_id: uuid.UUID,
    body: ResidentJoin,
    principal: CurrentPrincipal,
    pool: Pool,
    settings: Settings,
) -> ResidentPublic:
    async with pool.acquire() as connection, connection.transaction():
        park = await _park(connection, principal, park_id, write=True)
        await require_may_act_for_enterprise(
            connection, principal, body.enterprise_id, field="enterprise_id"
        )
        try:
            async with connection.transaction():
                row = await connection.fetchrow(
                    queries.INSERT_RESIDENT,
                    uuid.uuid4(),
                    park_id,
                    body.enterprise_id,
                    body.joined_on,
                    principal.subject,
                )
        except asyncpg.UniqueViolationError as exc:
            raise ProblemError(
                catalogue.ALREADY_RESIDENT,
                t("该企业已入驻此园区", "the enterprise is already resident in this park"),
            ) from exc
        assert row is not None
        await record_change(
            connection,
            entity_type="park",
            entity_id=park_id,
            version=0,
            action="resident_joined",
            changed_by=principal.subject,
            old_values=None,
            new_values=dict(row),
        )
        await append_events(
            connection,
            [
                ResidentJoined(
                    park_id=str(park_id),
                    residence_id=str(row["id"]),
                    enterprise_id=str(body.enterprise_id),
                    joined_on=body.joined_on,
                )
            ],
            source=settings.event_source,
            topic_prefix=settings.kafka_topic_prefix,
        )
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="park.resident_joined",
            resource_type="park",
            resource_id=park_id,
            region_code=park["region_code"],
            after=dict(row),
        )
        joined = ResidentPublic.model_validate(dict(row))
        await claim_idempotency_key(
            connection, request, status_code=status.HTTP_201_CREATED, content=joined
        )
    return joined


@router.post("/{residence_id}/leave", response_model=ResidentPublic)
async def leave(
    request: Request,
    park_id: uuid.UUID,
    residence_id: uuid.UUID,
    body: ResidentLeave,
    principal: CurrentPrincipal,
    pool: Pool,
    settings: Settings,
) -> ResidentPublic:
    async with pool.acquire() as connection, connection.transaction():
        park = await _park(connection, principal, park_id, write=True)
        current = await connection.fetchrow(queries.RESIDENT, residence_id, park_id)
        if current is None:
            raise not_found(t("入驻记录", "residence"), str(residence_id))
        if current["left_on"] is not None:
            left_on = current["left_on"]
            raise ProblemError(
                catalogue.ALREADY_LEFT, t(f"已于 {left_on} 迁出", f"left on {left_on}")
            )
        if body.left_on < current["joined_on"]:
            raise invalid(
                [{"field": "body.left_on", "message": "before joined_on", "type": "date"}],
                t("迁出日期早于入驻日期", "left_on is before joined_on"),
            )
        row = await connection.fetchrow(queries.LEAVE_PARK, residence_id, park_id, body.left_on)
        assert row is not None
        await record_change(
            connection,
            entity_type="park",
            entity_id=park_id,
            version=0,
            action="resident_left",
            changed_by=principal.subject,
            old_values={"left_on": None},
            new_values=dict(row),
        )
        await append_events(
            connection,
            [
                ResidentLeft(
                    park_id=str(park_id),
                    residence_id=str(residence_id),
                    enterprise_id=str(row["enterprise_id"]),
                    left_on=body.left_on,
                )
            ],
            source=settings.event_source,
            topic_prefix=settings.kafka_topic_prefix,
        )
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="park.resident_left",
            resource_type="park",
            resource_id=park_id,
            region_code=park["region_code"],
            before=dict(current),
            after=dict(row),
        )
        left = ResidentPublic.model_validate(dict(row))
        await claim_idempotency_key(
            connection, request, status_code=status.HTTP_200_OK, content=left
        )
    return left


@router.get(
    "",
    response_model=Page[ResidentPublic],
    summary="The park's residents in the order they joined (paged)",
    description="Current residents, or with `include_former` those who left too; `limit` "
    "(default 50, at most 500) a page; `next_cursor` reads on.",
)
async def residents(
    park_id: uuid.UUID,
    principal: CurrentPrincipal,
    pool: Pool,
    include_former: bool = False,
    cursor: str | None = None,
    limit: PageLimit = 50,
) -> Page[ResidentPublic]:
    after_on, after_id = read_cursor(
        cursor, lambda p: (dt.date.fromisoformat(p["joined_on"]), uuid.UUID(p["id"]))
    ) or (None, None)
    async with pool.acquire() as connection:
        await _park(connection, principal, park_id, write=False)
        rows = await connection.fetch(
            queries.RESIDENTS_PAGE, park_id, include_former, limit + 1, after_on, after_id
        )
    last = rows[limit - 1] if len(rows) > limit else None
    return Page[ResidentPublic](
        items=[ResidentPublic.model_validate(dict(r)) for r in rows[:limit]],
        next_cursor=encode_cursor(
            {"joined_on": last["joined_on"].isoformat(), "id": str(last["id"])}
        )
        if last is not None
        else None,
    )
