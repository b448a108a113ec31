"""Who may take which step when: the rules the workflow's update validators apply."""

from __future__ import annotations

import pytest

from awards.domain.application import Action, Actor, Situation, Stage, refusal

CITY = Actor("zunyi", frozenset({"city_bureau"}), "520300")
OTHER_CITY = Actor("guiyang", frozenset({"city_bureau"}), "520100")
PROVINCE = Actor("province", frozenset({"province_admin"}), "520000")
OPERATOR = Actor("op", frozenset({"operator"}), None, frozenset({"ent-1"}))
EXPERT = Actor("e-1", frozenset({"expert"}))


def _at(stage: Stage, **changes: object) -> Situation:
    values: dict[str, object] = {
        "stage": stage,
        "region_code": "520302",
        "owner_enterprise_id": "ent-1",
        "panel": ("e-1", "e-2"),
    }
    values.update(changes)
    return Situation(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "actor", "situation"),
    [
        (Action.city_recommend, CITY, _at(Stage.city_review)),
        (Action.city_return, CITY, _at(Stage.city_review)),
        (Action.resubmit, OPERATOR, _at(Stage.returned)),
        (Action.record_document_review, PROVINCE, _at(Stage.document_review)),
        (Action.schedule_site_visit, PROVINCE, _at(Stage.site_visit)),
        (Action.record_site_visit, PROVINCE, _at(Stage.site_visit, site_visit_scheduled=True)),
        (Action.score, EXPERT, _at(Stage.expert_evaluation)),
        (Action.decide, PROVINCE, _at(Stage.decision)),
        (Action.file_objection, PROVINCE, _at(Stage.public_notice)),
        (Action.resolve_objection, PROVINCE, _at(Stage.objection)),
    ],
)
def test_the_right_step_is_accepted(action: Action, actor: Actor, situation: Situation) -> None:
    assert refusal(action, actor, situation) is None


@pytest.mark.parametrize(
    ("action", "actor", "situation", "why"),
    [
        (Action.city_recommend, OTHER_CITY, _at(Stage.city_review), "region"),
        (Action.city_recommend, PROVINCE, _at(Stage.city_review), "city_bureau"),
        (Action.decide, PROVINCE, _at(Stage.city_review), "not a step"),
        (Action.city_recommend, CITY, _at(Stage.designated), "not a step"),
        (
            Action.resubmit,
            Actor("x", frozenset({"operator"}), None, frozenset({"ent-9"})),
            _at(Stage.returned),
            "own enterprise",
        ),
        (Action.score, Actor("e-9", frozenset({"expert"})), _at(Stage.expert_evaluation), "panel"),
        (Action.score, EXPERT, _at(Stage.expert_evaluation, scored=frozenset({"e-1"})), "already"),
        (Action.record_site_visit, PROVINCE, _at(Stage.site_visit), "not scheduled"),
        (
            Action.decide,
            Actor("p", frozenset({"province_admin"}), "630000"),
            _at(Stage.decision),
            "region",
        ),
        (Action.stop, PROVINCE, _at(Stage.decision), "integrator"),
        (
            Action.stop,
            Actor("credit", frozenset({"integrator"})),
            _at(Stage.designated),
            "designated",
        ),
    ],
)
def test_a_wrong_step_is_refused_with_a_reason(
    action: Action, actor: Actor, situation: Situation, why: str
) -> None:
    refused = refusal(action, actor, situation)
    assert refused is not None and why in refused.reason.en


def test_refusals_say_whether_the_caller_or_the_moment_is_wrong() -> None:
    wrong_caller = refusal(Action.city_recommend, OTHER_CITY, _at(Stage.city_review))
    wrong_moment = refusal(Action.decide, PROVINCE, _at(Stage.city_review))
    assert wrong_caller is not None and wrong_caller.kind == "forbidden"
    assert wrong_moment is not None and wrong_moment.kind == "conflict"


def test_a_refusal_reads_wholly_in_each_language() -> None:
    """The Chinese answer names steps, roles and stages in Chinese, never the English words."""
    situation = _at(Stage.document_review)
    refused = refusal(Action.decide, Actor("p", frozenset({"province_admin"}), "520000"), situation)
    assert refused is not None
    assert refused.reason.zh == "“资料审核”阶段不能办理“认定决定”"
    assert refused.reason.en == "decide is not a step of stage document_review"
