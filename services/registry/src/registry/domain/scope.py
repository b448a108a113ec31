"""The registry's records under the scope rules: the rules are ``shared.auth.scope``'s; these
functions only apply them to a record's row (its region, the enterprise that owns it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from registry.domain.entities.spec import EntitySpec
from registry.domain.regions import RegionTree
from shared.auth.principal import Principal
from shared.auth.scope import may_act_on_entity


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


def may_read(principal: Principal, spec: EntitySpec, row: Mapping[str, Any]) -> bool:
    return may_access(principal, spec, row, write=False)


def sees_personal_data(principal: Principal, spec: EntitySpec, row: Mapping[str, Any]) -> bool:
    """Contacts show unmasked to those who administer the record (reads, lists, history)."""
    return not spec.masked_columns or may_access(principal, spec, row, write=True)


def shows_personal_data(principal: Principal, spec: EntitySpec, row: Mapping[str, Any]) -> bool:
    """The row holds contacts and the caller sees them unmasked: a read that leaves a record."""
    return any(row[column] is not None for column in spec.masked_columns) and may_access(
        principal, spec, row, write=True
    )


def subtree_codes(regions: RegionTree, code: str) -> list[str]:
    return [code, *(r.code for r in regions.descendants(code, include_retired=True))]
