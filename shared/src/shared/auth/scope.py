"""The one place that decides what a caller may see and change: regions, entities, jobs, inbox.

Every service's routes ask these functions; a service may turn the answer into SQL for its
lists (the registry's ``restrict_to_caller``), but never restates the rule.

Region codes are GB/T 2260 (``PPCCXX``): a province ``PP0000`` contains every ``PP....``; a
city ``PPCC00`` contains ``PPCC..``; a county only itself. Province-direct county-level units
(e.g. ``429004``) belong to their province by prefix, which is what matters for scope.

The rules:

* province administration: everything in its province; city / county bureau: its subtree.
  A token for one of these roles must name its region (see ``claims_problem``): a missing
  region never widens scope;
* an integrator (another government system) reads everything and writes only with the
  ``write`` grant;
* an expert reads in its region, or everywhere when its token names none (review panels
  are drawn province-wide; experts never write);
* an operator acts through its enterprises (``enterprise_ids``), never through a region;
* an import job is its creator's, and visible to the administration over the creator's region;
* submissions (the 12-10 report): a report is seen as any record of its reporter's region and
  entity; it is *acted on* by the province over the region, by the city bureau of the
  reporter's own city (004 三(三): the city dispatches the projects of its region), or by the
  operator that is the reporter. County bureaus and integrators only read.
* the working-day calendar (docs/calendar.md): one for the country, as the State Council
  publishes it; every caller reads it, a province administration loads a year or corrects one.
* the audit trail: the province, city and county bureaus read the records of their own subtree
  (a province never another's); integrators every record, as they read every record; experts
  and operators none. Contacts in it are masked for every reader (``audit_scope``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.auth.principal import Principal
from shared.auth.roles import Role

ADMINISTRATIVE_ROLES = frozenset({Role.province_admin, Role.city_bureau, Role.county_bureau})
REGION_CODE = re.compile(r"^\d{6}$")


def claims_problem(principal: Principal) -> str | None:
    """Why the token's scope claims cannot be honoured (the caller answers 401), or None.

    Fail closed: a regional role without a region, or with a region of another level, would
    otherwise read as "the whole country" or a wider subtree than the role's."""
    code = principal.region_code
    if code is not None and not REGION_CODE.match(code):
        return "region_code must be a six-digit GB/T 2260 code"
    for role in principal.roles & ADMINISTRATIVE_ROLES:
        if code is None:
            return f"a {role} token must carry region_code"
        if role is Role.province_admin and code[2:] != "0000":
            return "a province_admin region_code is a province (PP0000)"
        if role is Role.city_bureau and (code[4:] != "00" or code[2:] == "0000"):
            return "a city_bureau region_code is a city (PPCC00)"
        if role is Role.county_bureau and code[4:] == "00":
            return "a county_bureau region_code is a county-level unit"
    return None


def region_contains(ancestor: str, code: str) -> bool:
    """Whether ``code`` is ``ancestor`` or lies inside it, by the code's shape."""
    if ancestor.endswith("0000"):
        return code[:2] == ancestor[:2]
    if ancestor.endswith("00"):
        return code[:4] == ancestor[:4]
    return code == ancestor


def _administers(principal: Principal, region_code: str) -> bool:
    return (
        bool(principal.roles & ADMINISTRATIVE_ROLES)
        and principal.region_code is not None
        and region_contains(principal.region_code, region_code)
    )


def _province_administers(principal: Principal, region_code: str) -> bool:
    """A province administrator whose region contains ``region_code``."""
    return Role.province_admin in principal.roles and _administers(principal, region_code)


def may_act_on_region(principal: Principal, region_code: str, *, write: bool) -> bool:
    """Whether the caller may see (``write=False``) or change records in ``region_code``.
    Operators act through ownership of records, not regions: see ``may_act_on_entity``."""
    if _administers(principal, region_code):
        return True
    if Role.integrator in principal.roles and (not write or "write" in principal.grants):
        return True
    if Role.expert in principal.roles and not write:
        return principal.region_code is None or region_contains(principal.region_code, region_code)
    return False


def may_see_region(principal: Principal, region_code: str) -> bool:
    return may_act_on_region(principal, region_code, write=False)


def may_change_region(principal: Principal, region_code: str) -> bool:
    return may_act_on_region(principal, region_code, write=True)


def may_act_on_entity(
    principal: Principal, *, region_code: str, owner_enterprise_id: str | None, write: bool
) -> bool:
    """As ``may_act_on_region``, and an operator on the records of its own enterprises."""
    if may_act_on_region(principal, region_code, write=write):
        return True
    return (
        Role.operator in principal.roles
        and owner_enterprise_id is not None
        and str(owner_enterprise_id) in principal.enterprise_ids
    )


def may_act_for_enterprise(principal: Principal, *, enterprise_id: str, region_code: str) -> bool:
    """Whether the caller may attach this enterprise to something (make it a record's owner,
    a park's operator, a park's resident): an operator only its own enterprises; anyone else
    an enterprise it may see (``region_code`` is the enterprise's). The record being changed
    is checked separately, with ``may_act_on_entity(write=True)``."""
    return may_act_on_entity(
        principal, region_code=region_code, owner_enterprise_id=enterprise_id, write=False
    )


def may_see_report(principal: Principal, *, region_code: str, entity_id: str) -> bool:
    """Submissions: the reporter's own operator, the administration over its region, readers."""
    return may_act_on_entity(
        principal, region_code=region_code, owner_enterprise_id=entity_id, write=False
    )


def reporting_role(principal: Principal, *, region_code: str, entity_id: str) -> str | None:
    """Submissions: as whom the caller acts on a reporter's report (``province``,
    ``city_bureau``, ``reporter``), or None when it may only read or not even that. A city
    bureau acts only for reporters in its own city; a county bureau does not act."""
    code = principal.region_code
    if Role.province_admin in principal.roles and code and region_contains(code, region_code):
        return "province"
    city = region_code[:4] + "00"
    if Role.city_bureau in principal.roles and code == city:
        return "city_bureau"
    if Role.operator in principal.roles and entity_id in principal.enterprise_ids:
        return "reporter"
    return None


def statistics_roles(
    principal: Principal, *, reporter_kind: str, reporter_id: str, region_code: str
) -> frozenset[str]:
    """Statistics monitoring: as whom the caller may act on a statistics report. ``reporter``:
    the county bureau of that county, the city bureau of that city, the operator of that
    monitored enterprise; ``city_bureau``: the bureau of the reporter's city (reviews, enters on
    behalf); ``province``: the province over it (accepts). County bureaus act only as reporters.
    Reading is ``may_see_report`` with the reporter id as the entity."""
    roles: set[str] = set()
    code = principal.region_code
    bureau = {"county": Role.county_bureau, "city": Role.city_bureau}.get(reporter_kind)
    if bureau is not None and bureau in principal.roles and code == region_code == reporter_id:
        roles.add("reporter")
    if (
        reporter_kind == "enterprise"
        and Role.operator in principal.roles
        and reporter_id in principal.enterprise_ids
    ):
        roles.add("reporter")
    if Role.city_bureau in principal.roles and code == region_code[:4] + "00":
        roles.add("city_bureau")
    if Role.province_admin in principal.roles and code and region_contains(code, region_code):
        roles.add("province")
    return frozenset(roles)


def may_administer_windows(principal: Principal, *, jurisdiction: str) -> bool:
    """Submissions: the province opens windows, reopens them and decides extensions."""
    return _province_administers(principal, jurisdiction)


def may_revise_programme(principal: Principal, *, jurisdiction: str) -> bool:
    """Registry: a programme is revised by the province administration over its jurisdiction
    (the province's own programme, or a city's in it, such as Qingdao's in Shandong); nobody
    else, integrators with ``write`` included: a programme is the province's policy, not a
    record another system keeps."""
    return _province_administers(principal, jurisdiction)


def may_keep_for_province(principal: Principal, *, region_code: str) -> bool:
    """Awards: the province's expert pool (专家库由省厅维护; ``region_code`` the expert's) and
    its programmes' rewards (the jurisdiction) are its administration's alone, nobody else's."""
    return _province_administers(principal, region_code)


def may_import(principal: Principal) -> bool:
    """Bulk imports: the province, city and county bureaus, and integrators granted write.
    Each imported row is still checked with ``may_change_region``."""
    if principal.roles & ADMINISTRATIVE_ROLES:
        return True
    return Role.integrator in principal.roles and "write" in principal.grants


@dataclass(frozen=True)
class JobScope:
    """Which jobs a caller sees: its own, and those created in the regions it administers
    (``region_prefixes`` as SQL ``LIKE`` patterns, empty for none)."""

    owner: str
    region_prefixes: tuple[str, ...]


def job_region(principal: Principal) -> str | None:
    """The region a job is filed under: its creator's (None for region-less callers)."""
    return principal.region_code


def region_like_pattern(code: str) -> str:
    """The region subtree of ``code`` as an SQL ``LIKE`` pattern (lists that filter in SQL)."""
    if code.endswith("0000"):
        return code[:2] + "%"
    if code.endswith("00"):
        return code[:4] + "%"
    return code


def job_scope(principal: Principal) -> JobScope:
    administered = (
        (region_like_pattern(principal.region_code),)
        if principal.roles & ADMINISTRATIVE_ROLES and principal.region_code
        else ()
    )
    return JobScope(owner=principal.subject, region_prefixes=administered)


def may_see_job(principal: Principal, *, created_by: str, region_code: str | None) -> bool:
    if created_by == principal.subject:
        return True
    return region_code is not None and _administers(principal, region_code)


@dataclass(frozen=True)
class ReadVisibility:
    """What a caller's lists may show: everything, or the union of region subtrees (roots) and
    records owned by its enterprises."""

    everything: bool
    region_roots: tuple[str, ...] = ()
    enterprise_ids: frozenset[str] = frozenset()


def read_visibility(principal: Principal) -> ReadVisibility:
    region_less_expert = Role.expert in principal.roles and principal.region_code is None
    if Role.integrator in principal.roles or region_less_expert:
        return ReadVisibility(everything=True)
    regional = principal.roles & (ADMINISTRATIVE_ROLES | {Role.expert})
    roots = (principal.region_code,) if regional and principal.region_code else ()
    owned = principal.enterprise_ids if Role.operator in principal.roles else frozenset()
    return ReadVisibility(everything=False, region_roots=roots, enterprise_ids=owned)


@dataclass(frozen=True)
class AuditScope:
    """The audit records a caller reads: every one, or those whose region lies in one of
    ``region_roots`` (``region_patterns`` for SQL). A record without a region (a process's own
    work) cannot be placed in any province, so only ``everything`` shows it."""

    everything: bool = False
    region_roots: tuple[str, ...] = ()

    @property
    def region_patterns(self) -> tuple[str, ...]:
        return tuple(region_like_pattern(root) for root in self.region_roots)

    def covers(self, region_code: str | None) -> bool:
        if self.everything:
            return True
        return region_code is not None and any(
            region_contains(root, region_code) for root in self.region_roots
        )


def audit_scope(principal: Principal) -> AuditScope | None:
    """Who reads the audit trail, over what (None: nobody, 403). The administration reads its
    own subtree (a province admin its province, whatever else it asks for); an integrator reads
    every record, as it reads every record elsewhere (its ``write`` grant is about writing). An
    expert or an operator reads records, not who changed them and from where.

    Personal data stays masked in the trail for every reader (``shared.masking``): the trail is
    read in bulk, and a reader who needs a contact reads the record, which leaves its own access
    record; a clear contact here would bypass that."""
    if Role.integrator in principal.roles:
        return AuditScope(everything=True)
    code = principal.region_code
    if principal.roles & ADMINISTRATIVE_ROLES and code:
        return AuditScope(region_roots=(code,))
    return None


def inbox_addresses(principal: Principal) -> list[tuple[str, str]]:
    """The (region, role) pairs whose notifications the caller reads: each administrative role
    it holds, at its own region. Notifications address an office, not a subtree."""
    if principal.region_code is None:
        return []
    return [
        (principal.region_code, str(role))
        for role in sorted(principal.roles & ADMINISTRATIVE_ROLES)
    ]


def inbox_enterprises(principal: Principal) -> list[str]:
    """The enterprises whose notices an operator reads in its inbox (its own)."""
    if Role.operator not in principal.roles:
        return []
    return sorted(principal.enterprise_ids)


@dataclass(frozen=True)
class OfficeScope:
    """Notifications (deliveries, the recipients directory): the offices a caller may see, as
    an SQL ``LIKE`` pattern over regions and, for a bureau, its own role only. ``everything``
    for integrators (read only)."""

    everything: bool = False
    region_pattern: str | None = None
    role: str | None = None

    def covers(self, region_code: str, role: str) -> bool:
        if self.everything:
            return True
        if self.region_pattern is None:
            return False
        prefix = self.region_pattern.rstrip("%")
        inside = (
            region_code.startswith(prefix)
            if self.region_pattern.endswith("%")
            else (region_code == self.region_pattern)
        )
        return inside and (self.role is None or self.role == role)


def office_scope(principal: Principal) -> OfficeScope | None:
    """The province sees every office in its province; a city or county bureau only its own
    office (its region, its role); an integrator everything. None: nothing at all (403)."""
    code = principal.region_code
    if Role.province_admin in principal.roles and code:
        return OfficeScope(region_pattern=region_like_pattern(code))
    for role in (Role.city_bureau, Role.county_bureau):
        if role in principal.roles and code:
            return OfficeScope(region_pattern=code, role=str(role))
    if Role.integrator in principal.roles:
        return OfficeScope(everything=True)
    return None


def may_manage_office(principal: Principal, *, region_code: str, role: str) -> bool:
    """Who may change an office's contacts: the province for any office in its province, a
    bureau for its own office (integrators and operators never)."""
    scope = office_scope(principal)
    return scope is not None and not scope.everything and scope.covers(region_code, role)


def may_resend_deliveries(principal: Principal, *, region_code: str) -> bool:
    """Only a province administrator re-sends a failed delivery, and only one within its
    province (docs/notifications.md, API)."""
    return _province_administers(principal, region_code)


def sees_contact_unmasked(principal: Principal, *, enterprise_id: str | None) -> bool:
    """An operator's contact is shown in full only to that operator (the recipient itself)."""
    return (
        enterprise_id is not None
        and Role.operator in principal.roles
        and enterprise_id in principal.enterprise_ids
    )


def may_read_calendar(principal: Principal) -> bool:
    """The working-day calendar is the State Council's published arrangement: every caller
    with a valid token reads it (bureaus plan with it, integrators count deadlines on it)."""
    return True


def may_load_calendar(principal: Principal) -> bool:
    """A year is loaded (or corrected) by a province administration, whichever province: the
    arrangement is national, and the first province to load the notice spares the others.
    Nobody else, integrators with ``write`` included: the calendar decides the province's
    deadlines and notice periods."""
    code = principal.region_code
    return Role.province_admin in principal.roles and code is not None and code.endswith("0000")
