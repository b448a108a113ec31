"""The fault run's evaluation cohort and its comparison of awards with the registry (pure)."""

from __future__ import annotations

from awards.handlers.designations import designation_id_for
from tests.chaos.designations import (
    AwardsRow,
    Decided,
    compare,
    evaluations,
    make_cohort,
)
from tests.chaos.load import FIGURES
from tests.chaos.seed import reporters


def _cohort(size: int = 300, start: int = 40):
    seeded = reporters(1000, run="r")
    return seeded, *make_cohort(seeded, start=start, size=size, run="r")


def test_the_cohort_is_awards_own_designations_split_into_every_outcome() -> None:
    seeded, changed, cohort = _cohort()
    assert len(changed) == len(seeded)
    assert changed[:40] == seeded[:40] and changed[340:] == seeded[340:]
    for (reporter, application_id), before in zip(cohort.granted, seeded[40:340], strict=True):
        assert reporter.designation_id == str(designation_id_for(application_id))
        assert (reporter.entity_id, reporter.region_code) == (before.entity_id, before.region_code)
    sizes = {g: len(getattr(cohort, g)) for g in ("good", "below", "violated", "silent")}
    assert sizes == {"good": 60, "below": 20, "violated": 20, "silent": 10}
    assert len(cohort.unreviewed) == 190
    groups = [cohort.good, cohort.below, cohort.violated, cohort.silent, cohort.unreviewed]
    assert sorted(i for g in groups for i in g) == sorted(cohort.ids)
    # Each signalled once, in one half or the other; the reviewed ones in the second half,
    # the violated in the first (their evaluation comes before the violation).
    first, second = set(cohort.first_signal), set(cohort.second_signal)
    assert not first & second and first | second == set(cohort.ids)
    assert set(cohort.reviewed) <= second and set(cohort.violated) | set(cohort.silent) <= first


def test_the_same_run_gives_the_same_cohort() -> None:
    assert _cohort()[2] == _cohort()[2]


def test_a_small_or_no_cohort() -> None:
    _, _, cohort = _cohort(size=0)
    assert cohort.ids == () and cohort.first_signal == ()
    _, _, cohort = _cohort(size=5)
    assert len(cohort.good) == 1 and cohort.violated == () and len(cohort.unreviewed) == 4


def test_what_each_group_comes_to_and_reports() -> None:
    _, changed, cohort = _cohort()
    by_id = {r.designation_id: r for r in changed}
    good, below, violated = cohort.good[0], cohort.below[0], cohort.violated[0]
    assert (cohort.expected(good).status, cohort.expected(good).standing) == (
        "designated",
        "good_standing",
    )
    assert cohort.expected(below).finding == "below_threshold"
    assert cohort.expected(violated).status == "revoked"
    assert cohort.expected(cohort.silent[0]).finding == "missing_report"
    # Good figures meet the enterprise threshold (2000万); the run's ordinary ones do not.
    assert float(str(cohort.figures(by_id[good])["online_retail_sales"])) >= 20_000_000
    assert cohort.figures(by_id[below]) is FIGURES
    assert cohort.figures(changed[0]) is None


def _rows(cohort, changed, *, revoked=(), registry_off=()):
    awards, registry = {}, {}
    entity = {r.designation_id: r.entity_id for r in changed}
    for designation_id in cohort.ids:
        expected = cohort.expected(designation_id)
        status = "revoked" if designation_id in revoked else expected.status
        standing = "revoked" if designation_id in revoked else expected.standing
        awards[designation_id] = AwardsRow(status, standing, entity[designation_id])
        registry[entity[designation_id]] = status
    for designation_id in registry_off:
        registry[entity[designation_id]] = "designated"
    return awards, registry


def test_the_two_sides_agree_when_each_holds_what_the_group_leads_to() -> None:
    _, changed, cohort = _cohort()
    comparison = compare(cohort, *_rows(cohort, changed))
    assert comparison.agreed
    assert comparison.awards_status == {"designated": 280, "revoked": 20}
    assert comparison.registry_status == comparison.awards_status
    assert comparison.awards_standing == {"good_standing": 60, "warning": 220, "revoked": 20}


def test_a_registry_behind_awards_or_a_designation_missing_disagrees() -> None:
    _, changed, cohort = _cohort()
    awards, registry = _rows(cohort, changed, registry_off=cohort.violated[:2])
    del awards[cohort.good[0]]
    comparison = compare(cohort, awards, registry)
    assert not comparison.agreed
    assert set(comparison.disagree) == {*cohort.violated[:2], cohort.good[0]}
    assert comparison.awards_status["absent"] == 1


def test_agreeing_sides_in_the_wrong_state_are_unexpected() -> None:
    _, changed, cohort = _cohort()
    # Both sides revoked a designation whose group stays designated: they agree, wrongly.
    comparison = compare(cohort, *_rows(cohort, changed, revoked=cohort.good[:1]))
    assert comparison.disagree == () and comparison.unexpected == cohort.good[:1]


def _decisions(cohort, year=2026):
    made = []
    for designation_id in cohort.ids:
        expected = cohort.expected(designation_id)
        if expected.finding is None:
            made.append(Decided(designation_id, year, "good_standing", ()))
        else:
            made.append(Decided(designation_id, year, "warned", (expected.finding,)))
        if designation_id in cohort.violated:
            made.append(Decided(designation_id, year, "revoked_for_violation", ()))
    return made


def test_each_designation_evaluated_once_with_what_its_group_finds() -> None:
    _, _, cohort = _cohort()
    steps, not_once, wrong = evaluations(cohort, _decisions(cohort), 2026)
    assert not_once == {} and wrong == []
    assert steps == {
        "good_standing": 60,
        "warned (below_threshold)": 20,
        "warned (missing_report)": 220,
        "revoked_for_violation": 20,
    }


def test_an_evaluation_twice_or_missing_or_finding_the_wrong_thing_is_reported() -> None:
    _, _, cohort = _cohort()
    made = _decisions(cohort)
    made.append(Decided(cohort.unreviewed[0], 2026, "warned", ("missing_report",)))
    made = [d for d in made if d.designation_id != cohort.silent[0]]
    made.append(Decided(cohort.silent[0], 2026, "good_standing", ()))
    made.append(Decided(cohort.good[0], 2025, "warned", ("missing_report",)))  # another year
    _, not_once, wrong = evaluations(cohort, made, 2026)
    assert not_once == {cohort.unreviewed[0]: 2}
    assert wrong == [cohort.silent[0]]
