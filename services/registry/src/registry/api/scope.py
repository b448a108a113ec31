"""Who may see and change which registry records.

The province sees and writes everything in its province; a city or county bureau inside its
own region subtree; an operator only the records of its own enterprises; an integrator reads
everything and writes only with the ``write`` grant; an expert reads. Another region's record
is reported as absent (404), never as forbidden with details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.db.entity_queries import ListQuery
from registry.domain.regions import RegionTree, UnknownRegion
from registry.entities.spec import EntitySpec
from shared.auth import Principal, Role, may_act_on_region
from shared.http.problems import ProblemError


def owner_of(spec: EntitySpec, row: Mapping[str, Any]) -> str | None:
    if spec.owner_column is None:
        return None
    value = row.get(spec.owner_column)
    return str(value) if value is not None else None


def may_access(
    principal: Principal, spec: EntitySpec, row: Mapping[str, Any], *, write: bool
) -> bool:
    if may_act_on_region(principal, row["region_code"], write=write):
        return True
    owner = owner_of(spec, row)
    return (
        Role.operator in principal.roles and owner is not None and owner in principal.enterprise_ids
    )


def require_region_write(
    principal: Principal, region_code: str, *, owner: str | None = None
) -> None:
    if may_act_on_region(principal, region_code, write=True):
        return
    if Role.operator in principal.roles and owner is not None and owner in principal.enterprise_ids:
        return
    raise ProblemError(
        status=403, title="Forbidden", detail=f"you may not write records in region {region_code}"
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
    reason = "is retired" if region is not None else "is not a GB/T 2260 division code"
    raise ProblemError(
        status=422,
        title="Unknown region",
        detail=f"region code {region_code} {reason}",
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
    """Add the caller's visibility to a list query (ORed over the caller's roles)."""
    reads_everything = Role.integrator in principal.roles or (
        principal.region_code is None and bool({Role.province_admin, Role.expert} & principal.roles)
    )
    if reads_everything:
        return
    visible: list[str] = []
    if principal.region_code and principal.roles - {Role.operator}:
        visible.append(
            f"region_code = ANY({query.bind(subtree_codes(regions, principal.region_code))})"
        )
    if Role.operator in principal.roles and query.spec.owner_column and principal.enterprise_ids:
        ids = query.bind(list(principal.enterprise_ids))
        visible.append(f"{query.spec.owner_column}::text = ANY({ids})")
    query.where(f"({' OR '.join(visible)})" if visible else "false")
