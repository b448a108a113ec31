"""The uploading caller, as an import job keeps it: the importer process checks each row against
the scope the caller had when it uploaded (its token is not at hand there)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from registry.domain.imports.validation import RowContext
from registry.domain.regions import RegionTree
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.auth.scope import may_change_region


def caller_scope(principal: Principal) -> dict[str, Any]:
    """What of the caller decides where its rows may go (stored with the job)."""
    return {
        "roles": sorted(principal.roles),
        "region_code": principal.region_code,
        "grants": sorted(principal.grants),
        "enterprise_ids": sorted(principal.enterprise_ids),
        "issuer": principal.issuer,
    }


def principal_of(job: Mapping[str, Any]) -> Principal:
    scope: Mapping[str, Any] = job["caller"] or {}
    return Principal(
        subject=job["created_by"],
        roles=frozenset(Role(role) for role in scope.get("roles", ())),
        region_code=scope.get("region_code"),
        grants=frozenset(scope.get("grants", ())),
        enterprise_ids=frozenset(scope.get("enterprise_ids", ())),
        issuer=scope.get("issuer"),
    )


def row_context(principal: Principal, regions: RegionTree) -> RowContext:
    @lru_cache(maxsize=4096)
    def region_known(code: str) -> bool:
        return code in regions and regions.get(code).is_current

    @lru_cache(maxsize=4096)
    def may_write(code: str) -> bool:
        return may_change_region(principal, code)

    return RowContext(region_known=region_known, may_write=may_write)
