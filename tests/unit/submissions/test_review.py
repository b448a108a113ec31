"""The review flow: reporter or city on its behalf → city review → province (004 三(三), 三(二)2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from submissions.domain.actors import Role
from submissions.domain.errors import Refused
from submissions.domain.review import (
    Action,
    Report,
    ReportState,
    city_recommend,
    city_return,
    province_accept,
    province_return,
    submit,
)
from tests.unit.submissions.conftest import GUIYANG, OTHER_REPORTER, PROVINCE, REPORTER, ZUNYI, cst

FIGURES = {"online_retail_sales": Decimal("1000.00"), "workers": 12}


def _draft() -> Report:
    return Report(designation_id="d-1", entity_id="entity-1", city_code="520100")


def _submitted() -> Report:
    return submit(_draft(), actor=REPORTER, at=cst(2025, 12, 1, 10), figures=FIGURES)


def _recommended() -> Report:
    return city_recommend(_submitted(), actor=GUIYANG, at=cst(2025, 12, 2))


def test_the_whole_way_to_accepted_records_every_step() -> None:
    report = province_accept(_recommended(), actor=PROVINCE, at=cst(2025, 12, 3), reason="数据完整")
    assert report.state is ReportState.accepted
    assert [(s.action, s.actor.role, s.from_state, s.to_state) for s in report.steps] == [
        (Action.submit, Role.reporter, ReportState.draft, ReportState.submitted),
        (Action.city_recommend, Role.city_bureau, ReportState.submitted, ReportState.recommended),
        (Action.province_accept, Role.province, ReportState.recommended, ReportState.accepted),
    ]
    assert report.steps[-1].reason == "数据完整"
    assert report.steps[-1].at == cst(2025, 12, 3)


def test_the_city_bureau_may_submit_on_behalf_and_it_is_recorded() -> None:
    report = submit(_draft(), actor=GUIYANG, at=cst(2025, 12, 1), figures=FIGURES)
    assert report.state is ReportState.submitted
    assert report.versions[0].on_behalf and report.versions[0].submitted_by == GUIYANG
    assert report.steps[0].on_behalf
    with pytest.raises(Refused) as caught:
        submit(_draft(), actor=ZUNYI, at=cst(2025, 12, 1), figures=FIGURES)
    assert caught.value.code == "out_of_scope"
    with pytest.raises(Refused) as caught:
        submit(_draft(), actor=OTHER_REPORTER, at=cst(2025, 12, 1), figures=FIGURES)
    assert caught.value.code == "out_of_scope"


def test_city_returns_with_comments_on_named_fields_and_the_reporter_resubmits() -> None:
    returned = city_return(
        _submitted(),
        actor=GUIYANG,
        at=cst(2025, 12, 2),
        field_comments={"workers": "与社保人数不符"},
        reason="请核实",
    )
    assert returned.state is ReportState.returned_to_reporter
    assert dict(returned.steps[-1].field_comments) == {"workers": "与社保人数不符"}
    again = submit(
        returned, actor=REPORTER, at=cst(2025, 12, 20), figures={**FIGURES, "workers": 10}
    )
    assert [v.number for v in again.versions] == [1, 2]
    assert again.first_submitted_at == cst(2025, 12, 1, 10)  # timeliness stays with version 1


@pytest.mark.parametrize(
    ("comments", "code", "field"),
    [
        ({}, "comments_required", "field_comments"),
        ({"colour": "?"}, "unknown_field", "field_comments.colour"),
        ({"workers": " "}, "reason_required", "field_comments.workers"),
    ],
)
def test_a_return_names_known_fields_with_comments(comments, code, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as caught:
        city_return(_submitted(), actor=GUIYANG, at=cst(2025, 12, 2), field_comments=comments)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_the_province_acts_only_on_what_the_city_passed() -> None:
    with pytest.raises(Refused, match="waiting for the city bureau's review") as caught:
        province_accept(_submitted(), actor=PROVINCE, at=cst(2025, 12, 3))
    assert caught.value.code == "step_out_of_order"


def test_the_city_cannot_undo_a_province_decision() -> None:
    accepted = province_accept(_recommended(), actor=PROVINCE, at=cst(2025, 12, 3))
    for step in (
        city_recommend,
        lambda r, **kw: city_return(r, field_comments={"workers": "x"}, **kw),
    ):
        with pytest.raises(Refused, match="the city cannot undo"):
            step(accepted, actor=GUIYANG, at=cst(2025, 12, 4))
    with pytest.raises(Refused, match="the city cannot undo"):
        city_recommend(_recommended(), actor=GUIYANG, at=cst(2025, 12, 4))


def test_the_province_returns_to_the_city_or_the_reporter_with_a_reason() -> None:
    to_city = province_return(
        _recommended(), actor=PROVINCE, at=cst(2025, 12, 3), to=Role.city_bureau, reason="请复核"
    )
    assert to_city.state is ReportState.returned_to_city
    # the city reviews again: recommend, or send it on to the reporter
    assert (
        city_recommend(to_city, actor=GUIYANG, at=cst(2025, 12, 4)).state is ReportState.recommended
    )
    to_reporter = province_return(
        _recommended(),
        actor=PROVINCE,
        at=cst(2025, 12, 3),
        to=Role.reporter,
        reason="数据有误",
        field_comments={"online_retail_sales": "偏高"},
    )
    assert to_reporter.state is ReportState.returned_to_reporter
    with pytest.raises(Refused, match="needs a written reason"):
        province_return(
            _recommended(), actor=PROVINCE, at=cst(2025, 12, 3), to=Role.reporter, reason=None
        )


def test_roles_and_order() -> None:
    with pytest.raises(Refused) as caught:
        city_recommend(_submitted(), actor=PROVINCE, at=cst(2025, 12, 2))
    assert caught.value.code == "forbidden"
    with pytest.raises(Refused) as caught:
        submit(_submitted(), actor=REPORTER, at=cst(2025, 12, 2), figures=FIGURES)
    assert caught.value.code == "step_out_of_order"
    with pytest.raises(Refused) as caught:
        submit(_draft(), actor=PROVINCE, at=cst(2025, 12, 2), figures=FIGURES)
    assert caught.value.code == "forbidden"
