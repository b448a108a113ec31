"""``/v1/designations``: the list of designations (认定名单), by region, category, year and
status. Any verified caller reads all of it: the list is published (公示 and 认定 notices), so
it is not scoped by region; the token is still required, as on every ``/v1`` route."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Query

from awards.api.deps import Pool
from awards.api.schemas import DesignationPublic
from awards.handlers import designations
from shared.auth import CurrentPrincipal
from shared.http.pagination import Page, encode_cursor, read_cursor

router = APIRouter(prefix="/v1/designations", tags=["designations"])


def _position(values: dict[str, Any]) -> tuple[dt.date, uuid.UUID]:
    return dt.date.fromisoformat(str(values["designated_on"])), uuid.UUID(str(values["id"]))


@router.get("", response_model=Page[DesignationPublic])
async def list_designations(
    principal: CurrentPrincipal,
    pool: Pool,
    region_code: str | None = Query(default=None, pattern=r"^\d{6}$"),
    category: str | None = Query(default=None, max_length=100),
    year: int | None = Query(default=None, ge=2000, le=2100),
    status: str | None = Query(default=None, pattern=r"^(designated|revoked)$"),
    programme_id: str | None = Query(default=None, max_length=100),
    limit: int = Query(default=100, ge=1, le=500),
    cursor: str | None = Query(default=None, max_length=200),
) -> Page[DesignationPublic]:
    rows = await designations.list_designations(
        pool,
        region_code=region_code,
        category=category,
        year=year,
        status=status,
        programme_id=programme_id,
        limit=limit,
        after=read_cursor(cursor, _position),
    )
    items = [DesignationPublic.model_validate(dict(row)) for row in rows]
    next_cursor = None
    if len(items) == limit:
        last = items[-1]
        next_cursor = encode_cursor({"designated_on": str(last.designated_on), "id": str(last.id)})
    return Page[DesignationPublic](items=items, next_cursor=next_cursor)
