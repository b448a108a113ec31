"""Who may apply in a round (docs/awards.md, "Rounds"): an entity of the right kind, in
the programme's jurisdiction, open, not already designated in the category, not under a
blocking credit record (001/002: 失信联合惩戒)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from awards.domain.credit import CreditRecord, blocking_records
from awards.domain.rounds import ApplicationRound
from shared.i18n import Text, t


@dataclass(frozen=True)
class Applicant:
    """What awards knows of an entity, from the registry's events (its own read model)."""

    entity_type: str
    entity_id: str
    name: str
    region_code: str
    park_kind: str | None = None
    closed: bool = False
    owner_enterprise_id: str | None = None
    designated_categories: frozenset[tuple[str, str]] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Ineligible:
    code: str
    reason: Text


def in_jurisdiction(jurisdiction: str, region_code: str) -> bool:
    if jurisdiction.endswith("0000"):
        return region_code[:2] == jurisdiction[:2]
    if jurisdiction.endswith("00"):
        return region_code[:4] == jurisdiction[:4]
    return region_code == jurisdiction


def eligibility_problems(
    applicant: Applicant,
    application_round: ApplicationRound,
    *,
    jurisdiction: str,
    credit_records: list[CreditRecord],
    on: dt.date,
) -> list[Ineligible]:
    """Every reason the applicant may not apply; empty when it may."""
    rules = application_round.rules
    problems: list[Ineligible] = []
    if applicant.entity_type not in rules.entity_types:
        wanted = ", ".join(rules.entity_types)
        problems.append(
            Ineligible("wrong_kind", t(f"该类别仅受理{wanted}申报", f"the category takes {wanted}"))
        )
    elif rules.park_kinds and applicant.park_kind not in rules.park_kinds:
        wanted = ", ".join(rules.park_kinds)
        problems.append(
            Ineligible(
                "wrong_kind",
                t(f"该类别仅受理{wanted}类园区申报", f"the category takes parks of kind {wanted}"),
            )
        )
    if applicant.closed:
        problems.append(
            Ineligible("closed", t("该主体在名录中已注销", "the entity is closed in the registry"))
        )
    if not in_jurisdiction(jurisdiction, applicant.region_code):
        problems.append(
            Ineligible(
                "outside_jurisdiction",
                t("不在该规划的管辖范围内", "outside the programme's jurisdiction"),
            )
        )
    key = (application_round.programme_id, application_round.category)
    if key in applicant.designated_categories:
        problems.append(
            Ineligible(
                "already_designated",
                t("已被认定为该类别示范项目", "already designated in this category"),
            )
        )
    for record in blocking_records(credit_records, applicant.entity_id, on=on):
        problems.append(Ineligible("credit_blocked", record.describe_text()))
    return problems
