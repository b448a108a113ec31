"""Who is calling, and the one helper that decides whether they may act on a region.

Region codes are GB/T 2260 (``PPCCXX``): a province ``PP0000`` contains every ``PP....``; a
city ``PPCC00`` contains ``PPCC..``; a county only itself. Province-direct county-level units
(e.g. ``429004``) belong to their province by prefix, which is what matters for scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.auth.roles import Role

ADMINISTRATIVE_ROLES = frozenset({Role.province_admin, Role.city_bureau, Role.county_bureau})


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    region_code: str | None = None
    enterprise_ids: frozenset[str] = field(default_factory=frozenset)
    grants: frozenset[str] = field(default_factory=frozenset)


def region_contains(ancestor: str, code: str) -> bool:
    """Whether ``code`` is ``ancestor`` or lies inside it, by the code's shape."""
    if ancestor.endswith("0000"):
        return code[:2] == ancestor[:2]
    if ancestor.endswith("00"):
        return code[:4] == ancestor[:4]
    return code == ancestor


def may_act_on_region(principal: Principal, region_code: str, *, write: bool) -> bool:
    """The province everything in its province (everything if its token names no region);
    a city or county bureau its own subtree; an integrator reads everything and writes only
    with the ``write`` grant; an expert reads in its region (or everywhere). Operators act
    through ownership of records, not regions: see ``may_act_on_entity``."""
    for role in principal.roles:
        if role in ADMINISTRATIVE_ROLES:
            if principal.region_code is None:
                if role is Role.province_admin:
                    return True
                continue
            if region_contains(principal.region_code, region_code):
                return True
        elif role is Role.integrator:
            if not write or "write" in principal.grants:
                return True
        elif role is Role.expert and not write:
            if principal.region_code is None or region_contains(principal.region_code, region_code):
                return True
    return False


def may_act_on_entity(
    principal: Principal, *, region_code: str, owner_enterprise_id: str | None, write: bool
) -> bool:
    """As ``may_act_on_region``, and an operator on the records of its own enterprises."""
    if may_act_on_region(principal, region_code, write=write):
        return True
    return (
        Role.operator in principal.roles
        and owner_enterprise_id is not None
        and owner_enterprise_id in principal.enterprise_ids
    )
