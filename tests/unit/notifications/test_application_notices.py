"""Awards application events (awards.application.*, awards.review.overdue): who hears of which
step (a table of the workflow's steps and stages, not scattered conditions) and what it says,
in Chinese with an English fallback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from notifications.domain.applications import (
    STAGE_NOTICES,
    Addressee,
    Applicant,
    overdue_addressees,
    stage_addressees,
    submitted_addressees,
)
from notifications.domain.rendering import TEMPLATES_DIR, render
from shared.china_time import CHINA

ALL = ("city_bureau", "province_admin", "operator")
SHOP = Applicant(entity_type="enterprise", entity_id="ENT-1", region_code="520102")
PARK = Applicant(entity_type="park", entity_id="PARK-1", region_code="520102")
DUE = dt.datetime(2025, 6, 1, 0, 0, tzinfo=CHINA)  # the first late instant of 5月31日


def _stage(
    step: str,
    stage: str,
    waiting_on: str | None,
    applicant: Applicant | None = SHOP,
    routed: tuple[str, ...] = ALL,
) -> list[Addressee]:
    return stage_addressees(
        step=step,
        stage=stage,
        waiting_on=waiting_on,
        region_code="520102",
        applicant=applicant,
        routed=routed,
    )


def test_a_submitted_application_waits_for_its_city_bureau() -> None:
    assert submitted_addressees("520102", routed=ALL) == [
        Addressee("application_submitted", "520100", "city_bureau")
    ]
    assert submitted_addressees("520102", routed=("operator",)) == []


def test_the_office_the_next_step_waits_for_gets_a_todo() -> None:
    assert _stage("resubmit", "city_review", "city_bureau") == [
        Addressee("application_waiting", "520100", "city_bureau")
    ]
    assert _stage("city_recommend", "document_review", "province_admin") == [
        Addressee("application_waiting", "520000", "province_admin")
    ]
    assert _stage("evaluation_result", "decision", "province_admin") == [
        Addressee("application_waiting", "520000", "province_admin")
    ]


def test_a_step_that_leaves_the_work_with_the_same_office_or_the_experts_tells_nobody() -> None:
    # the province records its document review and goes on to the site visit itself
    assert _stage("record_document_review", "site_visit", "province_admin") == []
    assert _stage("schedule_site_visit", "site_visit", "province_admin") == []
    assert _stage("record_site_visit", "expert_evaluation", "expert") == []
    assert _stage("score", "expert_evaluation", "expert") == []
    assert _stage("file_objection", "objection", "province_admin") == []
    assert _stage("designate", "designated", None) == []  # awards.designation.granted says it


def test_the_operator_hears_when_returned_rejected_or_in_public_notice() -> None:
    operator = ("520102", "operator", "ENT-1")
    assert _stage("city_return", "returned", "operator") == [
        Addressee("application_returned", *operator)
    ]
    for step in ("city_reject", "record_document_review", "record_site_visit", "decide"):
        assert _stage(step, "rejected", None) == [Addressee("application_rejected", *operator)]
    assert _stage("resolve_objection", "rejected", None) == [
        Addressee("application_rejected", *operator)
    ]
    assert _stage("decide", "public_notice", None) == [
        Addressee("application_in_notice", *operator)
    ]
    assert _stage("resolve_objection", "public_notice", None) == [
        Addressee("application_in_notice", *operator)
    ]


def test_no_operator_without_a_known_enterprise_applicant_or_its_route() -> None:
    assert _stage("city_return", "returned", "operator", applicant=None) == []
    assert _stage("city_return", "returned", "operator", applicant=PARK) == []
    assert _stage("decide", "rejected", None, routed=("city_bureau",)) == []
    assert _stage("resubmit", "city_review", "city_bureau", routed=("operator",)) == []


def test_every_kind_of_the_table_has_a_chinese_and_an_english_template() -> None:
    kinds = set(STAGE_NOTICES.values()) | {"application_submitted", "application_overdue"}
    for kind in kinds:
        for locale in ("zh-CN", "en"):
            assert (TEMPLATES_DIR / f"{kind}.{locale}.md.j2").is_file(), (kind, locale)


def test_an_overdue_city_review_goes_to_the_city_bureau_and_the_province_when_routed() -> None:
    assert overdue_addressees("520100", routed=("city_bureau",)) == [
        Addressee("application_overdue", "520100", "city_bureau")
    ]
    assert overdue_addressees("520100", routed=("city_bureau", "province_admin")) == [
        Addressee("application_overdue", "520100", "city_bureau"),
        Addressee("application_overdue", "520000", "province_admin"),
    ]


FACTS = {
    "programme": "贵州省推动电子商务发展“十百千万”工程",
    "application_id": "A-1",
    "category": "贵州省电子商务示范企业",
    "year": 2025,
    "entity_id": "ENT-1",
    "stage": "document_review",
    "stage_title": "资料审核",
    "reason": "材料不全",
    "due_at": DUE,
    "ack_url": "https://x/ack",
}


def test_the_overdue_notice_names_the_application_and_the_due_time_in_beijing_time() -> None:
    title, body = render("application_overdue", FACTS)
    assert title == "【市级审核逾期】贵州省电子商务示范企业申报 A-1"
    assert "2025年5月31日 24:00（北京时间）" in body and "ENT-1" in body
    assert "https://x/ack" in body


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("application_submitted", "【待审核】贵州省电子商务示范企业申报 A-1"),
        ("application_waiting", "【待办·资料审核】贵州省电子商务示范企业申报 A-1"),
        ("application_returned", "【申报退回修改】贵州省电子商务示范企业申报 A-1"),
        ("application_rejected", "【申报未通过】贵州省电子商务示范企业申报 A-1"),
        ("application_in_notice", "【拟认定公示】贵州省电子商务示范企业申报 A-1"),
    ],
)
def test_each_stage_notice_reads_in_chinese(kind: str, title: str) -> None:
    rendered_title, body = render(kind, FACTS)
    assert rendered_title == title
    if kind in ("application_returned", "application_rejected"):
        assert "材料不全" in body


def test_an_unknown_category_and_applicant_still_render(tmp_path: Path) -> None:
    title, body = render(
        "application_waiting", {**FACTS, "category": None, "entity_id": None, "reason": None}
    )
    assert title == "【待办·资料审核】申报 A-1"
    assert "申报主体" not in body and "说明" not in body
    # English is the fallback when a kind has no Chinese template
    name = "application_waiting.en.md.j2"
    (tmp_path / name).write_text((TEMPLATES_DIR / name).read_text(encoding="utf-8"))
    english, _ = render("application_waiting", FACTS, directory=tmp_path)
    assert english == "[To do: document_review] 贵州省电子商务示范企业 application A-1"
