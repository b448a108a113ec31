"""Application rounds from the programme file, and who may apply."""

from __future__ import annotations

import datetime as dt

import pytest

from awards.domain.credit import CreditKind, CreditRecord
from awards.domain.eligibility import Applicant, eligibility_problems
from awards.domain.rounds import NoSuchRound, application_round, rounds_of
from shared.programmes import Programme

D = dt.date


def test_guizhou_runs_a_round_per_year_and_category(guizhou: Programme) -> None:
    rounds = rounds_of(guizhou)
    assert {(r.year, r.category) for r in rounds} == {
        (year, category)
        for year in (2023, 2024, 2025)
        for category in ("park", "base", "enterprise", "team")
    }


def test_a_round_opens_closes_and_is_due_in_china_time(guizhou: Programme) -> None:
    base = application_round(guizhou, 2025, "base")
    assert base.title == "贵州省电子商务直播示范基地"
    assert base.opens_at.isoformat() == "2025-03-01T00:00:00+08:00"
    assert base.closes_at.isoformat() == "2025-05-01T00:00:00+08:00"
    assert base.city_review_due_at.isoformat() == "2025-06-01T00:00:00+08:00"
    assert base.is_open(base.opens_at) and not base.is_open(base.closes_at)
    kinds = [m.kind for m in base.rules.materials]
    assert "resident_list" in kinds  # annex 7 for parks and bases


def test_a_refused_application_says_whether_the_round_is_yet_to_open_or_closed(
    guizhou: Programme,
) -> None:
    base = application_round(guizhou, 2025, "base")
    cst = dt.timezone(dt.timedelta(hours=8))
    assert base.not_open(dt.datetime(2025, 2, 28, 23, 59, tzinfo=cst)) == "not_yet"
    assert base.not_open(dt.datetime(2025, 4, 30, 23, 59, tzinfo=cst)) is None
    assert base.not_open(dt.datetime(2025, 5, 1, tzinfo=cst)) == "closed"
    assert (base.opening_day, base.closing_day) == (dt.date(2025, 3, 1), dt.date(2025, 4, 30))


def test_no_round_outside_the_programme(guizhou: Programme) -> None:
    with pytest.raises(NoSuchRound):
        application_round(guizhou, 2026, "park")
    with pytest.raises(NoSuchRound):
        application_round(guizhou, 2025, "store")


def _base(**changes: object) -> Applicant:
    values: dict[str, object] = {
        "entity_type": "park",
        "entity_id": "park-1",
        "name": "遵义直播基地",
        "region_code": "520302",
        "park_kind": "live_base",
    }
    values.update(changes)
    return Applicant(**values)  # type: ignore[arg-type]


def _problems(
    guizhou: Programme, applicant: Applicant, records: list[CreditRecord] | None = None
) -> list[str]:
    found = eligibility_problems(
        applicant,
        application_round(guizhou, 2025, "base"),
        jurisdiction=guizhou.jurisdiction,
        credit_records=records or [],
        on=D(2025, 3, 10),
    )
    return [problem.code for problem in found]


def test_an_open_live_base_in_guizhou_may_apply(guizhou: Programme) -> None:
    assert _problems(guizhou, _base()) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"entity_type": "enterprise", "park_kind": None}, "wrong_kind"),
        ({"park_kind": "industrial_park"}, "wrong_kind"),
        ({"region_code": "630102"}, "outside_jurisdiction"),
        ({"closed": True}, "closed"),
        (
            {"designated_categories": frozenset({("guizhou-shibaiqianwan-2023", "base")})},
            "already_designated",
        ),
    ],
)
def test_who_may_not_apply(guizhou: Programme, changes: dict[str, object], code: str) -> None:
    assert _problems(guizhou, _base(**changes)) == [code]


def test_a_designation_in_another_category_does_not_block(guizhou: Programme) -> None:
    other = frozenset({("guizhou-shibaiqianwan-2023", "park")})
    assert _problems(guizhou, _base(designated_categories=other)) == []


def _record(kind: CreditKind, start: dt.date, end: dt.date | None) -> CreditRecord:
    return CreditRecord("r1", "park-1", kind, start, end, "黔信用〔2025〕1号")


@pytest.mark.parametrize(
    ("record", "blocked"),
    [
        (_record(CreditKind.dishonest_entity, D(2025, 1, 1), None), True),
        (_record(CreditKind.serious_violation, D(2025, 1, 1), D(2025, 3, 10)), True),
        (_record(CreditKind.dishonest_entity, D(2024, 1, 1), D(2025, 3, 9)), False),  # expired
        (_record(CreditKind.dishonest_entity, D(2025, 3, 11), None), False),  # not yet
        (_record(CreditKind.abnormal_operation, D(2025, 1, 1), None), False),  # not blocking
    ],
)
def test_a_blocking_credit_record_in_force_blocks(
    guizhou: Programme, record: CreditRecord, blocked: bool
) -> None:
    assert (_problems(guizhou, _base(), [record]) == ["credit_blocked"]) is blocked


def test_the_awarding_section_quotes_its_seed_and_is_marked_defaults(guizhou: Programme) -> None:
    from tests.unit.shared.test_programmes import _seed_text

    rounds = guizhou.application_rounds
    assert rounds is not None and rounds.awarding is not None
    assert rounds.awarding.defaults
    reference = rounds.awarding.source_ref
    assert reference is not None and reference.quote
    assert reference.quote in _seed_text(reference.file)
    assert rounds.awarding.legal_basis.document_number == guizhou.document_number
