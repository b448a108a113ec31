"""What each step's payload must hold, by its action: checked by the application workflow's
update validator (deterministic, no I/O), so a step without what it needs is refused (422)
before it enters the history."""

from __future__ import annotations

from awards.domain.application import ACTION_NAMES, Action
from awards.workflows.types import StepRequest
from shared.i18n import Text, t


class StepPayloadInvalid(ValueError):
    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def _require(condition: bool, message: Text) -> None:
    if not condition:
        raise StepPayloadInvalid(message)


def check_payload(request: StepRequest, passed: bool | None) -> None:
    """What the step's action needs in its payload (a reason, a rank, scores ...)."""
    action = request.action
    named = ACTION_NAMES[action]
    if action in (Action.city_return, Action.city_reject, Action.stop):
        _require(bool(request.reason), t(f"“{named}”须写明理由", f"{action} needs a reason"))
    if action is Action.city_recommend:
        _require(
            request.rank is not None,
            t(
                "市级推荐须写明在推荐名单中的排序",
                "city_recommend needs the rank in the recommendation list",
            ),
        )
    if action in (Action.record_document_review, Action.record_site_visit):
        _require(
            request.passed is not None, t(f"“{named}”须写明是否通过", f"{action} needs passed")
        )
        _require(
            request.passed or bool(request.reason),
            t("审核未通过须写明理由", "a failed review needs a reason"),
        )
    if action is Action.schedule_site_visit:
        _require(
            request.visit_on is not None,
            t("安排实地考察须写明考察日期", "schedule_site_visit needs visit_on"),
        )
    if action is Action.score:
        _require(request.scores is not None, t("专家评分须附各项得分", "score needs scores"))
    if action is Action.decide:
        _require(
            request.approve is not None,
            t("认定决定须写明是否认定", "decide needs approve"),
        )
        _require(
            request.approve or bool(request.reason),
            t("不予认定须写明理由", "a rejection needs a reason"),
        )
        _require(
            not request.approve or passed is True,
            t("专家评审未通过，不能认定", "approval needs a passing evaluation"),
        )
    if action is Action.file_objection:
        _require(
            bool(request.objector_name and request.objector_contact and request.reason),
            t(
                "登记异议须写明异议人姓名、联系方式和异议内容（理由）",
                "an objection needs the objector's name, contact and the objection (reason)",
            ),
        )
    if action is Action.resolve_objection:
        _require(
            request.upheld is not None,
            t("处理异议须写明异议是否成立", "resolve_objection needs upheld"),
        )
        _require(bool(request.reason), t("处理异议须写明理由", "resolve_objection needs a reason"))
