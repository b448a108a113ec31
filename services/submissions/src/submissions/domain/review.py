"""The review flow of one reporter's report in one window, as a state machine.

004_9c19d9a85d8c1f73.txt 三(三): projects report to the province, and the city bureaus dispatch
the projects of their region (定期调度); 三(二)2 sets the same line for applications (市州汇总审核
推荐, then 省级评审). So: draft → submitted (by the reporter, or by its city bureau on its behalf)
→ the city returns it with comments on named fields, or recommends it → the province accepts it,
or returns it to the city or to the reporter. The province acts only on what the city passed
(DHIS2's "waiting for lower level"); once the report is the province's, the city cannot undo it.
Each step records actor, time and reason; versions are immutable (``versions.py``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from shared.i18n import Text, t
from submissions.domain.actors import Actor, Role
from submissions.domain.deadlines import require_aware
from submissions.domain.errors import Refused, require_text
from submissions.domain.versions import Figure, ReportVersion


class ReportState(StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned_to_reporter = "returned_to_reporter"
    recommended = "recommended"
    returned_to_city = "returned_to_city"
    accepted = "accepted"


# The review states as the bureaus name them.
STATE_NAMES = {
    ReportState.draft: "草稿",
    ReportState.submitted: "已提交",
    ReportState.returned_to_reporter: "已退回报送主体",
    ReportState.recommended: "市级已推荐",
    ReportState.returned_to_city: "已退回市级",
    ReportState.accepted: "已审核通过",
}


class Action(StrEnum):
    submit = "submit"
    city_return = "city_return"
    city_recommend = "city_recommend"
    province_accept = "province_accept"
    province_return_to_city = "province_return_to_city"
    province_return_to_reporter = "province_return_to_reporter"


ACTION_NAMES = {
    Action.submit: "提交报告",
    Action.city_return: "市级退回",
    Action.city_recommend: "市级推荐",
    Action.province_accept: "省级审核通过",
    Action.province_return_to_city: "省级退回市级",
    Action.province_return_to_reporter: "省级退回报送主体",
}
ROLE_NAMES = {
    Role.reporter: "报送主体",
    Role.city_bureau: "市（州）商务主管部门",
    Role.province: "省商务厅",
}

# action -> (who, states it may start from, state it leads to)
_RULES: dict[Action, tuple[Role, frozenset[ReportState], ReportState]] = {
    Action.submit: (
        Role.reporter,
        frozenset({ReportState.draft, ReportState.returned_to_reporter}),
        ReportState.submitted,
    ),
    Action.city_return: (
        Role.city_bureau,
        frozenset({ReportState.submitted, ReportState.returned_to_city}),
        ReportState.returned_to_reporter,
    ),
    Action.city_recommend: (
        Role.city_bureau,
        frozenset({ReportState.submitted, ReportState.returned_to_city}),
        ReportState.recommended,
    ),
    Action.province_accept: (
        Role.province,
        frozenset({ReportState.recommended}),
        ReportState.accepted,
    ),
    Action.province_return_to_city: (
        Role.province,
        frozenset({ReportState.recommended}),
        ReportState.returned_to_city,
    ),
    Action.province_return_to_reporter: (
        Role.province,
        frozenset({ReportState.recommended}),
        ReportState.returned_to_reporter,
    ),
}


@dataclass(frozen=True)
class ReviewStep:
    action: Action
    actor: Actor
    at: dt.datetime
    from_state: ReportState
    to_state: ReportState
    version: int
    reason: str | None = None
    field_comments: Mapping[str, str] = field(default_factory=dict)
    on_behalf: bool = False


@dataclass(frozen=True)
class Report:
    designation_id: str
    entity_id: str
    city_code: str
    state: ReportState = ReportState.draft
    versions: tuple[ReportVersion, ...] = ()
    steps: tuple[ReviewStep, ...] = ()

    @property
    def first_submitted_at(self) -> dt.datetime | None:
        return self.versions[0].submitted_at if self.versions else None

    @property
    def current(self) -> ReportVersion | None:
        return self.versions[-1] if self.versions else None


def submit(
    report: Report,
    *,
    actor: Actor,
    at: dt.datetime,
    figures: Mapping[str, Figure],
    explanations: Mapping[str, str] | None = None,
) -> Report:
    """A new immutable version; a city bureau may enter it for the reporter (``on_behalf``)."""
    on_behalf = actor.role is Role.city_bureau
    acting_role = Role.reporter if on_behalf else actor.role
    _check(report, Action.submit, actor, acting_role)
    version = ReportVersion(
        number=len(report.versions) + 1,
        submitted_at=require_aware(at, field="at"),
        submitted_by=actor,
        on_behalf=on_behalf,
        figures=figures,
        explanations=explanations or {},
    )
    return _advance(report, Action.submit, actor, at, version=version, on_behalf=on_behalf)


def city_return(
    report: Report,
    *,
    actor: Actor,
    at: dt.datetime,
    field_comments: Mapping[str, str],
    reason: str | None = None,
) -> Report:
    """Back to the reporter with a comment on each named field to correct."""
    _check(report, Action.city_return, actor)
    comments = _comments(field_comments, report)
    return _advance(report, Action.city_return, actor, at, reason=reason, comments=comments)


def city_recommend(
    report: Report, *, actor: Actor, at: dt.datetime, reason: str | None = None
) -> Report:
    _check(report, Action.city_recommend, actor)
    return _advance(report, Action.city_recommend, actor, at, reason=reason)


def province_accept(
    report: Report, *, actor: Actor, at: dt.datetime, reason: str | None = None
) -> Report:
    """Final: the accepted figures are what awards uses."""
    _check(report, Action.province_accept, actor)
    return _advance(report, Action.province_accept, actor, at, reason=reason)


def province_return(
    report: Report,
    *,
    actor: Actor,
    at: dt.datetime,
    to: Role,
    reason: str | None,
    field_comments: Mapping[str, str] | None = None,
) -> Report:
    """Back to the city bureau (to review again) or straight to the reporter; a reason is due."""
    if to not in (Role.city_bureau, Role.reporter):
        raise Refused(
            "invalid_target",
            t(
                "省商务厅只能将报告退回市（州）商务主管部门或报送主体",
                "the province returns a report to the city or the reporter",
            ),
            field="to",
        )
    action = (
        Action.province_return_to_city
        if to is Role.city_bureau
        else Action.province_return_to_reporter
    )
    _check(report, action, actor)
    text = require_text(reason, field="reason", what=t("退回报告", "returning a report"))
    comments = _comments(field_comments, report) if field_comments else {}
    return _advance(report, action, actor, at, reason=text, comments=comments)


def review(
    report: Report,
    actor: Actor,
    action: Action,
    *,
    at: dt.datetime,
    reason: str | None,
    field_comments: Mapping[str, str],
) -> Report:
    """One review step named by its action: the city's return or recommendation, the
    province's acceptance or return (to the city or the reporter)."""
    if action is Action.city_return:
        return city_return(report, actor=actor, at=at, field_comments=field_comments, reason=reason)
    if action is Action.city_recommend:
        return city_recommend(report, actor=actor, at=at, reason=reason)
    if action is Action.province_accept:
        return province_accept(report, actor=actor, at=at, reason=reason)
    if action in (Action.province_return_to_city, Action.province_return_to_reporter):
        to = Role.city_bureau if action is Action.province_return_to_city else Role.reporter
        return province_return(
            report, actor=actor, at=at, to=to, reason=reason, field_comments=field_comments or None
        )
    raise Refused(
        "invalid_action",
        t(f"“{action.value}”不是审核步骤", f"{action.value} is not a review step"),
        field="decision",
    )


def _check(report: Report, action: Action, actor: Actor, acting_role: Role | None = None) -> None:
    role, sources, _ = _RULES[action]
    if (acting_role or actor.role) is not role:
        raise Refused(
            "forbidden",
            t(
                f"“{ACTION_NAMES[action]}”须由{ROLE_NAMES[role]}办理",
                f"{action.value} is done by the {role.value.replace('_', ' ')}",
            ),
        )
    if not actor.speaks_for(entity_id=report.entity_id, city_code=report.city_code):
        raise Refused(
            "out_of_scope",
            t(
                "该报告不属于本单位或本辖区",
                "this report is outside the actor's own reports or region",
            ),
        )
    if report.state in sources:
        return
    raise Refused("step_out_of_order", _out_of_order(action, report.state), field="state")


def _out_of_order(action: Action, state: ReportState) -> Text:
    role = _RULES[action][0]
    named = STATE_NAMES[state]
    if role is Role.province and state in (ReportState.submitted, ReportState.returned_to_city):
        return t(
            f"该报告处于“{named}”状态，须先经市（州）商务主管部门审核",
            f"the report is {state.value}: waiting for the city bureau's review",
        )
    if role is Role.city_bureau and state in (ReportState.recommended, ReportState.accepted):
        return t(
            f"该报告处于“{named}”状态，已由省商务厅办理，市级不能撤回",
            f"the report is {state.value}: a province decision the city cannot undo",
        )
    return t(
        f"报告处于“{named}”状态时不能办理“{ACTION_NAMES[action]}”",
        f"{action.value} is not possible while the report is {state.value}",
    )


def _comments(field_comments: Mapping[str, str], report: Report) -> Mapping[str, str]:
    if not field_comments:
        raise Refused(
            "comments_required",
            t(
                "请列明需修改的字段，并逐项填写修改意见",
                "name the fields to correct, each with a comment",
            ),
            field="field_comments",
        )
    known = set(report.current.figures) if report.current else set()
    comments: dict[str, str] = {}
    for name, comment in field_comments.items():
        if known and name not in known:
            raise Refused(
                "unknown_field",
                t(f"报告中没有字段“{name}”", f"the report has no field {name!r}"),
                field=f"field_comments.{name}",
            )
        comments[name] = require_text(
            comment, field=f"field_comments.{name}", what=t("每项字段修改意见", "a field comment")
        )
    return MappingProxyType(comments)


def _advance(
    report: Report,
    action: Action,
    actor: Actor,
    at: dt.datetime,
    *,
    reason: str | None = None,
    comments: Mapping[str, str] | None = None,
    version: ReportVersion | None = None,
    on_behalf: bool = False,
) -> Report:
    target = _RULES[action][2]
    versions = report.versions if version is None else (*report.versions, version)
    step = ReviewStep(
        action=action,
        actor=actor,
        at=require_aware(at, field="at"),
        from_state=report.state,
        to_state=target,
        version=len(versions),
        reason=(reason or "").strip() or None,
        field_comments=comments or {},
        on_behalf=on_behalf,
    )
    return dataclasses.replace(report, state=target, versions=versions, steps=(*report.steps, step))
