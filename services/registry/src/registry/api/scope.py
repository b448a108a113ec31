"""The registry's side of scope: the rules are ``shared.auth.scope``'s; this module applies them
to registry rows and turns list visibility into SQL.

Another region's record is reported as absent (404), never as forbidden with details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from registry.db import entity_queries
from registry.db.entity_queries import ListQuery
from registry.domain.regions import RegionTree, UnknownRegion
from registry.entities.spec import EntitySpec
from shared.auth import Principal
from shared.auth.scope import may_act_for_enterprise, may_act_on_entity, read_visibility
from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import t


def owner_of(spec: EntitySpec, row: Mapping[str, Any]) -> str | None:
    if spec.owner_column is None:
        return None
    value = row.get(spec.owner_column)
    return str(value) if value is not None else None


def may_access(
    principal: Principal, spec: EntitySpec, row: Mapping[str, Any], *, write: bool
) -> bool:
    return may_act_on_entity(
        principal,
        region_code=row["region_code"],
        owner_enterprise_id=owner_of(spec, row),
        write=write,
    )


def require_region_write(
    principal: Principal, region_code: str, *, owner: str | None = None
) -> None:
    if may_act_on_entity(principal, region_code=region_code, owner_enterprise_id=owner, write=True):
        return
    raise ProblemError(
        catalogue.FORBIDDEN,
        t(
            f"您无权写入地区 {region_code} 的记录",
            f"you may not write records in region {region_code}",
        ),
    )


async def require_may_act_for_enterprises(
    db: asyncpg.Pool | asyncpg.Connection,
    principal: Principal,
    spec: EntitySpec,
    values: Mapping[str, Any],
) -> None:
    """Each enterprise a create or change names (owner, operator) must be one the caller may
    act for; one it may not is answered like a missing one (422), so its existence stays
    hidden."""
    for column in spec.enterprise_columns:
        if values.get(column) is not None:
            await require_may_act_for_enterprise(db, principal, values[column], field=column)


async def require_may_act_for_enterprise(
    db: asyncpg.Pool | asyncpg.Connection, principal: Principal, enterprise_id: Any, *, field: str
) -> None:
    from registry.entities.definitions import ENTERPRISE  # definitions import the API schemas

    row = await db.fetchrow(entity_queries.by_id(ENTERPRISE), enterprise_id)
    if row is not None and may_act_for_enterprise(
        principal, enterprise_id=str(enterprise_id), region_code=row["region_code"]
    ):
        return
    raise ProblemError(
        catalogue.UNKNOWN_ENTERPRISE,
        t(
            f"{field}：没有您可代为操作的企业 {enterprise_id}",
            f"{field}: no enterprise {enterprise_id} that you may act for",
        ),
        extra={
            "errors": [
                {"field": f"body.{field}", "message": "no such enterprise", "type": "reference"}
            ]
        },
    )


def require_known_region(
    regions: RegionTree, region_code: str, *, field: str = "region_code"
) -> None:
    try:
        region = regions.get(region_code)
    except UnknownRegion:
        region = None
    if region is not None and region.is_current:
        return
    parent = region_code[:4] + "00" if region_code[4:] != "00" else region_code[:2] + "0000"
    hint = [f"{r.code} {r.name}" for r in regions.children(parent)] if parent in regions else []
    reason = (
        t("已撤销", "is retired")
        if region is not None
        else t("不是 GB/T 2260 行政区划代码", "is not a GB/T 2260 division code")
    )
    raise ProblemError(
        catalogue.UNKNOWN_REGION,
        t(f"行政区划代码 {region_code} {reason.zh}", f"region code {region_code} {reason.en}"),
        extra={
            "errors": [
                {
                    "field": f"body.{field}",
                    "message": f"unknown region {region_code}",
                    "type": "region",
                }
            ],
            "allowed_values_under_parent": hint,
        },
    )


def subtree_codes(regions: RegionTree, code: str) -> list[str]:
    return [code, *(r.code for r in regions.descendants(code, include_retired=True))]


def restrict_to_caller(query: ListQuery, principal: Principal, regions: RegionTree) -> None:
    """Add the caller's visibility (``shared.auth.scope.read_visibility``) to a list query.

    A token whose region the registry does not know gets 403: its scope cannot be computed,
    and failing open (or with a 500) is not an answer."""
    visibility = read_visibility(principal)
    if visibility.everything:
        return
    visible: list[str] = []
    for root in visibility.region_roots:
        if root not in regions:
            raise ProblemError(
                catalogue.FORBIDDEN,
                t(
                    f"令牌中的 region_code {root} 不是已知的 GB/T 2260 行政区划",
                    f"your token's region_code {root} is not a known GB/T 2260 region",
                ),
            )
        visible.append(f"region_code = ANY({query.bind(subtree_codes(regions, root))})")
    if visibility.enterprise_ids and query.spec.owner_column:
        ids = query.bind(sorted(visibility.enterprise_ids))
        visible.append(f"{query.spec.owner_column}::text = ANY({ids})")
    query.where(f"({' OR '.join(visible)})" if visible else "false")
