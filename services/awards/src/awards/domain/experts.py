"""Expert panels (组织评审): N experts drawn from the pool, none with a conflict of interest.

A conflict is either the applicant's city (an expert from the same 市州 reviews its own
bureau's recommendation) or a relation the expert declares (employment, shareholding,
family…). A conflicted expert is replaced by the next one of the pool. The order of the pool
is a stable hash of the application id, so panels are spread over the pool and the same
application always draws the same panel (the workflow replays it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Expert:
    expert_id: str
    region_code: str
    declared_relations: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Replacement:
    expert_id: str
    reason: str
    replaced_by: str | None


class PanelShort(Exception):
    """The pool has too few experts without a conflict."""


def same_city(a: str, b: str) -> bool:
    return a[:4] == b[:4] and not a.endswith("0000") and not b.endswith("0000")


def conflict_of(expert: Expert, *, applicant_region: str, applicant_entity_id: str) -> str | None:
    if same_city(expert.region_code, applicant_region):
        return "same_region"
    if applicant_entity_id in expert.declared_relations:
        return "declared_relation"
    return None


def _draw_order(pool: list[Expert], application_id: str) -> list[Expert]:
    def key(expert: Expert) -> str:
        return hashlib.sha256(f"{application_id}|{expert.expert_id}".encode()).hexdigest()

    return sorted(pool, key=key)


@dataclass(frozen=True)
class Panel:
    members: tuple[str, ...]
    replacements: tuple[Replacement, ...] = ()


def assign_panel(
    pool: list[Expert],
    *,
    size: int,
    application_id: str,
    applicant_region: str,
    applicant_entity_id: str,
    excluded: frozenset[str] = frozenset(),
) -> Panel:
    """Draw ``size`` experts; each conflicted draw is recorded and replaced by the next."""
    members: list[str] = []
    pending: list[tuple[str, str]] = []
    replacements: list[Replacement] = []
    for expert in _draw_order(pool, application_id):
        if len(members) == size:
            break
        if expert.expert_id in excluded:
            continue
        reason = conflict_of(
            expert, applicant_region=applicant_region, applicant_entity_id=applicant_entity_id
        )
        if reason is not None:
            pending.append((expert.expert_id, reason))
            continue
        members.append(expert.expert_id)
        if pending:
            conflicted, why = pending.pop(0)
            replacements.append(Replacement(conflicted, why, expert.expert_id))
    if len(members) < size:
        raise PanelShort(f"{len(members)} of {size} experts without a conflict in the pool")
    replacements += [Replacement(e, why, None) for e, why in pending]
    return Panel(members=tuple(members), replacements=tuple(replacements))


def replace_member(
    panel: Panel,
    pool: list[Expert],
    *,
    expert_id: str,
    reason: str,
    application_id: str,
    applicant_region: str,
    applicant_entity_id: str,
) -> Panel:
    """An expert on the panel declares a conflict: the next expert free of one takes the seat."""
    if expert_id not in panel.members:
        raise ValueError(f"{expert_id} is not on the panel")
    excluded = frozenset(panel.members) | {r.expert_id for r in panel.replacements}
    extra = assign_panel(
        pool,
        size=1,
        application_id=application_id,
        applicant_region=applicant_region,
        applicant_entity_id=applicant_entity_id,
        excluded=excluded,
    )
    (newcomer,) = extra.members
    members = tuple(newcomer if m == expert_id else m for m in panel.members)
    replaced = Replacement(expert_id, reason, newcomer)
    return Panel(members=members, replacements=(*panel.replacements, replaced))
