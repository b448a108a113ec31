"""The application's state machine (004 三(二)2: 申报推荐 → 省级评审 → 认定; 四(二)1).

Each human step is an ``Action`` taken by an ``Actor``. ``refusal`` says why a step may not be
taken now (wrong stage, wrong role, another region, not on the panel); the workflow's update
validators call it, so a refused step never enters the workflow's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from shared.i18n import Text, t


class Stage(StrEnum):
    city_review = "city_review"  # 市州汇总审核推荐
    returned = "returned"  # back with the operator for changes
    document_review = "document_review"  # 资料审核
    site_visit = "site_visit"  # 实地考察
    expert_evaluation = "expert_evaluation"  # 组织评审
    decision = "decision"  # 认定 decision by the province
    public_notice = "public_notice"  # 公示
    objection = "objection"  # notice paused by an objection
    designated = "designated"
    rejected = "rejected"
    stopped = "stopped"  # a blocking credit record arrived


FINAL_STAGES = frozenset({Stage.designated, Stage.rejected, Stage.stopped})


class Action(StrEnum):
    resubmit = "resubmit"
    city_recommend = "city_recommend"
    city_return = "city_return"
    city_reject = "city_reject"
    record_document_review = "record_document_review"
    schedule_site_visit = "schedule_site_visit"
    record_site_visit = "record_site_visit"
    assign_experts = "assign_experts"
    declare_conflict = "declare_conflict"
    score = "score"
    decide = "decide"
    file_objection = "file_objection"
    resolve_objection = "resolve_objection"
    stop = "stop"


# Who takes each step. The city acts on its own region only (DOMAIN.md "Who uses it").
ROLE_OF: dict[Action, str] = {
    Action.resubmit: "operator",
    Action.city_recommend: "city_bureau",
    Action.city_return: "city_bureau",
    Action.city_reject: "city_bureau",
    Action.record_document_review: "province_admin",
    Action.schedule_site_visit: "province_admin",
    Action.record_site_visit: "province_admin",
    Action.assign_experts: "province_admin",
    Action.declare_conflict: "expert",
    Action.score: "expert",
    Action.decide: "province_admin",
    Action.file_objection: "province_admin",  # the province receives objections (公示期内)
    Action.resolve_objection: "province_admin",
    Action.stop: "integrator",  # the credit platform, or the service itself
}

ALLOWED: dict[Stage, frozenset[Action]] = {
    Stage.city_review: frozenset({Action.city_recommend, Action.city_return, Action.city_reject}),
    Stage.returned: frozenset({Action.resubmit}),
    Stage.document_review: frozenset({Action.record_document_review}),
    Stage.site_visit: frozenset({Action.schedule_site_visit, Action.record_site_visit}),
    Stage.expert_evaluation: frozenset(
        {Action.assign_experts, Action.declare_conflict, Action.score}
    ),
    Stage.decision: frozenset({Action.decide}),
    Stage.public_notice: frozenset({Action.file_objection}),
    Stage.objection: frozenset({Action.resolve_objection}),
}

# The steps of the province and the experts, for "what is waiting for whom".
WAITING_ON: dict[Stage, str] = {
    Stage.city_review: "city_bureau",
    Stage.returned: "operator",
    Stage.document_review: "province_admin",
    Stage.site_visit: "province_admin",
    Stage.expert_evaluation: "expert",
    Stage.decision: "province_admin",
    Stage.objection: "province_admin",
}


@dataclass(frozen=True)
class Actor:
    """Who takes a step: the verified token's subject, roles and scope, as plain data."""

    subject: str
    roles: frozenset[str]
    region_code: str | None = None
    enterprise_ids: frozenset[str] = field(default_factory=frozenset)


def _contains(ancestor: str, code: str) -> bool:
    if ancestor.endswith("0000"):
        return code[:2] == ancestor[:2]
    if ancestor.endswith("00"):
        return code[:4] == ancestor[:4]
    return code == ancestor


@dataclass(frozen=True)
class Situation:
    """What the rules need to know of the application at the moment of the step."""

    stage: Stage
    region_code: str
    owner_enterprise_id: str | None
    panel: tuple[str, ...] = ()
    scored: frozenset[str] = frozenset()
    site_visit_scheduled: bool = False
    evaluation_passed: bool | None = None


# The steps, roles and stages as the bureaus name them, for refusals in Chinese.
ACTION_NAMES: dict[Action, str] = {
    Action.resubmit: "重新提交",
    Action.city_recommend: "市级推荐",
    Action.city_return: "市级退回",
    Action.city_reject: "市级不予推荐",
    Action.record_document_review: "登记资料审核结果",
    Action.schedule_site_visit: "安排实地考察",
    Action.record_site_visit: "登记实地考察结果",
    Action.assign_experts: "指派评审专家",
    Action.declare_conflict: "声明回避",
    Action.score: "专家评分",
    Action.decide: "认定决定",
    Action.file_objection: "登记公示异议",
    Action.resolve_objection: "处理异议",
    Action.stop: "终止申报",
}
ROLE_NAMES = {
    "operator": "项目建设运营主体或企业",
    "city_bureau": "市（州）商务主管部门",
    "province_admin": "省商务厅",
    "expert": "评审专家",
    "integrator": "对接系统",
}
STAGE_NAMES: dict[Stage, str] = {
    Stage.city_review: "市级审核推荐",
    Stage.returned: "退回修改",
    Stage.document_review: "资料审核",
    Stage.site_visit: "实地考察",
    Stage.expert_evaluation: "专家评审",
    Stage.decision: "认定决定",
    Stage.public_notice: "公示",
    Stage.objection: "异议处理",
    Stage.designated: "已认定",
    Stage.rejected: "未通过",
    Stage.stopped: "已终止",
}


@dataclass(frozen=True)
class Refusal:
    """``forbidden``: not this caller's step (403); ``conflict``: not now (409)."""

    kind: str
    reason: Text


def _forbidden(reason: Text) -> Refusal:
    return Refusal("forbidden", reason)


def _conflict(reason: Text) -> Refusal:
    return Refusal("conflict", reason)


def refusal(action: Action, actor: Actor, situation: Situation) -> Refusal | None:
    """Why ``actor`` may not take ``action`` now, or None when it may."""
    role = ROLE_OF[action]
    if role not in actor.roles:
        return _forbidden(
            t(
                f"“{ACTION_NAMES[action]}”须由{ROLE_NAMES[role]}办理",
                f"{action} is a step of the {role}",
            )
        )
    stage = STAGE_NAMES[situation.stage]
    if action is Action.stop:
        final = situation.stage in FINAL_STAGES
        return (
            _conflict(t(f"该申报已处于“{stage}”状态", f"the application is {situation.stage}"))
            if final
            else None
        )
    if role == "operator":
        owner = situation.owner_enterprise_id
        if owner is None or owner not in actor.enterprise_ids:
            return _forbidden(
                t(
                    "运营主体只能办理本企业的申报",
                    "the operator acts only for its own enterprise's applications",
                )
            )
    elif role in ("city_bureau", "province_admin"):
        if actor.region_code is None or not _contains(actor.region_code, situation.region_code):
            return _forbidden(
                t("该申报不在本单位辖区内", "the application is outside the caller's region")
            )
    if action not in ALLOWED.get(situation.stage, frozenset()):
        return _conflict(
            t(
                f"“{stage}”阶段不能办理“{ACTION_NAMES[action]}”",
                f"{action} is not a step of stage {situation.stage}",
            )
        )
    if role == "expert":
        if actor.subject not in situation.panel:
            return _forbidden(
                t(
                    "您不是该申报评审专家组成员",
                    "the caller is not on this application's panel",
                )
            )
        if action is Action.score and actor.subject in situation.scored:
            return _conflict(t("该专家已评分", "this expert has already scored"))
    if action is Action.record_site_visit and not situation.site_visit_scheduled:
        return _conflict(t("尚未安排实地考察", "the site visit is not scheduled yet"))
    return None
