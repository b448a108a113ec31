"""Who hears of an awards application's progress (the awards application workflow, routed as
docs/notifications.md, "Awards applications", says).

The workflow's steps and stages are the awards service's (``awards/domain/application.py``);
the events carry them as strings. Only a step that hands the application to another office, or
that settles something for the applicant, is told: a step after which the same office works on
(the province recording its document review, then visiting) or the experts score is not, and
a designation is told by ``awards.designation.granted``."""

from __future__ import annotations

from dataclasses import dataclass

WAITING = "application_waiting"

# (step, stage after it) → message kind; "*" is any step. A WAITING kind goes to the office the
# next step waits for (the event's ``waiting_on``), every other kind to the applicant's operator.
STAGE_NOTICES: dict[tuple[str, str], str] = {
    ("resubmit", "city_review"): WAITING,  # the operator resubmitted: the city reviews again
    ("city_recommend", "document_review"): WAITING,  # the province's review begins
    ("evaluation_result", "decision"): WAITING,  # the experts have scored: the province decides
    ("city_return", "returned"): "application_returned",
    ("decide", "public_notice"): "application_in_notice",  # approved: 拟认定公示
    ("resolve_objection", "public_notice"): "application_in_notice",  # the notice resumes
    ("*", "rejected"): "application_rejected",
}

# How the stages read in a to-do notice.
STAGE_TITLES: dict[str, str] = {
    "city_review": "市级审核推荐",
    "returned": "退回修改",
    "document_review": "资料审核",
    "site_visit": "实地考察",
    "expert_evaluation": "专家评审",
    "decision": "认定决定",
    "public_notice": "公示",
    "objection": "异议处理",
    "designated": "已认定",
    "rejected": "未通过",
    "stopped": "已中止",
}


@dataclass(frozen=True)
class Applicant:
    """Who applied (remembered from ``awards.application.submitted``: later events name only
    the application)."""

    entity_type: str
    entity_id: str
    region_code: str


@dataclass(frozen=True)
class Addressee:
    kind: str
    region_code: str
    role: str
    enterprise_id: str | None = None


def city_of(region_code: str) -> str:
    return region_code[:4] + "00"


def province_of(region_code: str) -> str:
    return region_code[:2] + "0000"


def _office(kind: str, role: str | None, region_code: str) -> Addressee | None:
    if role == "city_bureau":
        return Addressee(kind, city_of(region_code), role)
    if role == "province_admin":
        return Addressee(kind, province_of(region_code), role)
    return None  # experts and the integrator have no office in the directory


def submitted_addressees(region_code: str, *, routed: tuple[str, ...]) -> list[Addressee]:
    """A new application waits for the city bureau of the applicant's city (市州汇总审核推荐)."""
    if "city_bureau" not in routed:
        return []
    return [Addressee("application_submitted", city_of(region_code), "city_bureau")]


def stage_addressees(
    *,
    step: str,
    stage: str,
    waiting_on: str | None,
    region_code: str,
    applicant: Applicant | None,
    routed: tuple[str, ...],
) -> list[Addressee]:
    kind = STAGE_NOTICES.get((step, stage)) or STAGE_NOTICES.get(("*", stage))
    if kind is None:
        return []
    if kind == WAITING:
        office = _office(kind, waiting_on, region_code)
        return [office] if office is not None and office.role in routed else []
    # Parks, bases and teams have no operator in the directory (only enterprises do).
    if applicant is None or applicant.entity_type != "enterprise" or "operator" not in routed:
        return []
    return [Addressee(kind, applicant.region_code, "operator", applicant.entity_id)]


def overdue_addressees(city_code: str, *, routed: tuple[str, ...]) -> list[Addressee]:
    """The city bureau that must review, and the province when the programme routes it there.
    The workflow says "overdue" once per review, at the due time (no later clock points to
    climb the ladder on), so a routed province hears at once."""
    return [
        office
        for role in ("city_bureau", "province_admin")
        if role in routed and (office := _office("application_overdue", role, city_code))
    ]
