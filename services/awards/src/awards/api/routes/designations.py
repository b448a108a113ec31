"""``/v1/designations``: the public list of designations (认定名单), by region, category, year
and status. Public: the list is published (公示 and 认定 notices), so no token is needed."""

from __future__ import annotations

from fastapi import APIRouter, Query

from awards.api.deps import Pool
from awards.api.schemas import DesignationPublic
from awards.db import queries

router = APIRouter(prefix="/v1/designations", tags=["designations"])


def _subtree(region_code: str | None) -> str | None:
    if region_code is None:
        return None
    if region_code.endswith("0000"):
        return region_code[:2] + "%"
    if region_code.endswith("00"):
        return region_code[:4] + "%"
    return region_code


@router.get("", response_model=list[DesignationPublic])
async def list_designations(
    pool: Pool,
    region_code: str | None = Query(default=None, pattern=r"^\d{6}$"),
    category: str | None = Query(default=None, max_length=100),
    year: int | None = Query(default=None, ge=2000, le=2100),
    status: str | None = Query(default=None, pattern=r"^(designated|revoked)$"),
    programme_id: str | None = Query(default=None, max_length=100),
    limit: int = Query(default=100, ge=1, le=500),
) -> list[DesignationPublic]:
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            queries.DESIGNATIONS, _subtree(region_code), category, year, status, programme_id, limit
        )
    return [DesignationPublic.model_validate(dict(row)) for row in rows]
