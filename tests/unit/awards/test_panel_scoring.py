"""Expert panels with conflicts of interest; scoring, hidden cards, trimmed mean, pass mark."""

from __future__ import annotations

from decimal import Decimal

import pytest

from awards.domain.experts import Expert, PanelShort, assign_panel, replace_member
from awards.domain.scoring import ScoreCardInvalid, aggregate, check_card, result, visible_scores
from shared.programmes import Programme
from shared.programmes.awarding import Aggregate, ExpertPanel

POOL = [
    Expert("e-zunyi", "520300"),  # same city as the applicant
    Expert("e-related", "520100", frozenset({"park-1"})),  # declared relation
    *(Expert(f"e-{n}", "520100") for n in range(6)),
]


def _panel(size: int = 5, application_id: str = "app-1"):
    return assign_panel(
        POOL,
        size=size,
        application_id=application_id,
        applicant_region="520302",
        applicant_entity_id="park-1",
    )


def test_conflicted_experts_never_sit_and_are_recorded_as_replaced() -> None:
    panel = _panel()
    assert len(panel.members) == 5
    assert not {"e-zunyi", "e-related"} & set(panel.members)
    for replacement in panel.replacements:
        assert replacement.reason in ("same_region", "declared_relation")


def test_the_same_application_draws_the_same_panel() -> None:
    assert _panel() == _panel()


def test_a_declared_conflict_replaces_the_expert() -> None:
    panel = _panel(size=3)
    leaving = panel.members[0]
    after = replace_member(
        panel,
        POOL,
        expert_id=leaving,
        reason="declared_relation",
        application_id="app-1",
        applicant_region="520302",
        applicant_entity_id="park-1",
    )
    assert leaving not in after.members and len(after.members) == 3
    assert after.replacements[-1].expert_id == leaving


def test_too_few_unconflicted_experts_is_an_error() -> None:
    with pytest.raises(PanelShort):
        _panel(size=7)


def _card(guizhou: Programme, total_fraction: str) -> dict[str, Decimal]:
    system = guizhou.evaluation.indicator_system("base")  # type: ignore[union-attr]
    return {i.id: i.weight * Decimal(total_fraction) for i in system.indicators}


def test_a_card_totals_its_indicators(guizhou: Programme) -> None:
    system = guizhou.evaluation.indicator_system("base")  # type: ignore[union-attr]
    assert check_card(system, _card(guizhou, "0.8")) == Decimal(80)


@pytest.mark.parametrize("change", ["missing", "unknown", "too_high", "negative"])
def test_a_bad_card_is_refused(guizhou: Programme, change: str) -> None:
    system = guizhou.evaluation.indicator_system("base")  # type: ignore[union-attr]
    card = _card(guizhou, "0.5")
    first = system.indicators[0]
    if change == "missing":
        del card[first.id]
    elif change == "unknown":
        card["charisma"] = Decimal(1)
    elif change == "too_high":
        card[first.id] = first.weight + 1
    else:
        card[first.id] = Decimal(-1)
    with pytest.raises(ScoreCardInvalid):
        check_card(system, card)


def test_defaults_are_marked_and_weigh_100(guizhou: Programme) -> None:
    assert guizhou.evaluation is not None
    for system in guizhou.evaluation.indicator_systems:
        assert system.defaults and not system.available
        assert sum(i.weight for i in system.indicators) == 100


def test_trimmed_mean_drops_the_extremes() -> None:
    panel = ExpertPanel(size=5, trim_each_end=1, pass_mark=Decimal(60))
    totals = [Decimal(v) for v in (95, 70, 62, 58, 10)]
    assert aggregate(totals, panel) == Decimal("63.33")
    assert aggregate(totals, ExpertPanel(size=5, aggregate=Aggregate.mean)) == Decimal("59.00")


def test_the_pass_mark_decides() -> None:
    panel = ExpertPanel(size=3, trim_each_end=1, pass_mark=Decimal(60))
    assert result({"a": Decimal(59), "b": Decimal(60), "c": Decimal(99)}, panel).passed
    assert not result({"a": Decimal(10), "b": Decimal("59.99"), "c": Decimal(99)}, panel).passed


def test_a_panel_that_trims_everything_is_refused() -> None:
    with pytest.raises(ValueError):
        ExpertPanel(size=2, trim_each_end=1)


def test_scores_stay_hidden_until_all_are_in() -> None:
    members = ("a", "b", "c")
    cards = {"a": Decimal(70), "b": Decimal(80)}
    assert visible_scores(cards, members, "a") == {"a": Decimal(70)}
    assert visible_scores(cards, members, None) == {}
    cards["c"] = Decimal(90)
    assert visible_scores(cards, members, "a") == cards
