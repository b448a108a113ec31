"""The registry's side of scope: the rules are ``shared.auth.scope``'s; this module applies them
to a request and answers with the problem when they refuse it. The caller's list visibility is
computed here in region codes (``caller_visibility``); ``registry.db.list_queries`` turns it
into SQL.

Another region's record is reported as absent (404), never as forbidden with details.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.db import entity_queries
from registry.domain.entities.definitions import ENTERPRISE
from registry.domain.entities.spec import EntitySpec
from registry.domain.listing import Visibility
from registry.domain.regions import RegionTree, UnknownRegion
from registry.domain.scope import subtree_codes
from registry.handlers.common import Connection, Pool
from shared.auth import Principal
from shared.auth.scope import may_act_for_enterprise, may_act_on_entity, read_visibility
from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import t


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
    db: Pool | Connection,
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
    db: Pool | Connection, principal: Principal, enterprise_id: Any, *, field: str
) -> None:
    row = await db.fetchrow(entity_queries.BY_ID[ENTERPRISE.name], enterprise_id)
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


def caller_visibility(principal: Principal, regions: RegionTree) -> Visibility:
    """The caller's visibility (``shared.auth.scope.read_visibility``) for a list.

    A token whose region the registry does not know gets 403: its scope cannot be computed,
    and failing open (or with a 500) is not an answer."""
    visibility = read_visibility(principal)
    if visibility.everything:
        return Visibility(everything=True)
    subtrees: list[tuple[str, ...]] = []
    for root in visibility.region_roots:
        if root not in regions:
            raise ProblemError(
                catalogue.FORBIDDEN,
                t(
                    f"令牌中的 region_code {root} 不是已知的 GB/T 2260 行政区划",
                    f"your token's region_code {root} is not a known GB/T 2260 region",
                ),
            )
        subtrees.append(tuple(subtree_codes(regions, root)))
    return Visibility(
        everything=False,
        region_subtrees=tuple(subtrees),
        enterprise_ids=tuple(sorted(visibility.enterprise_ids)),
    )
