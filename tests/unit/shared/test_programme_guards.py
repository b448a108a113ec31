"""The document's own figures, which no revision may break (``shared.programmes.guards``):
each refusal names the field and quotes the document, and the quotes are the seed's words."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from shared.programmes import Programme, load_programmes, validate_programme
from shared.programmes.guards import (
    GUIZHOU_DESIGNATION_CAPS,
    GUIZHOU_REPORT_DUE,
    GUIZHOU_SALES_CAPS,
    GUIZHOU_TRAFFIC_ELIGIBILITY,
    GUIZHOU_TRAFFIC_SUBSIDY,
    QUOTES,
    guard,
    unchangeable,
)

ROOT = Path(__file__).resolve().parents[3]
SEEDS = Path(os.environ.get("SEEDS_DIR") or ROOT.parent / "shared" / "seeds")
GUIZHOU = "guizhou-shibaiqianwan-2023"


@pytest.fixture(scope="module")
def shipped() -> dict[str, Programme]:
    return load_programmes(ROOT / "shared" / "programmes")


@pytest.fixture
def guizhou(shipped: dict[str, Programme]) -> dict[str, Any]:
    """Guizhou's programme as a revision sends it, to change."""
    return shipped[GUIZHOU].model_dump(mode="json")


def reward(definition: dict[str, Any], reward_id: str) -> tuple[int, dict[str, Any]]:
    for index, item in enumerate(definition["rewards"]):
        if item["id"] == reward_id:
            return index, item
    raise KeyError(reward_id)


def broken(definition: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v.field, v.quote.text) for v in guard(validate_programme(definition))]


def test_the_shipped_programmes_keep_their_documents(shipped: dict[str, Programme]) -> None:
    assert {programme_id: guard(p) for programme_id, p in shipped.items()} == {
        programme_id: [] for programme_id in shipped
    }


def test_every_guard_quotes_its_seed_verbatim() -> None:
    for quote in QUOTES:
        path = SEEDS / quote.file
        if not path.is_file():
            pytest.skip(f"seed documents not available at {SEEDS}")
        assert quote.text in path.read_text(encoding="utf-8"), quote


def test_the_traffic_subsidy_stays_at_most_5_cny_per_10000(guizhou: dict[str, Any]) -> None:
    index, subsidy = reward(guizhou, "traffic-subsidy")
    subsidy["amount_per_unit"] = "6"
    assert broken(guizhou) == [(f"rewards.{index}.amount_per_unit", GUIZHOU_TRAFFIC_SUBSIDY.text)]
    # the same rate in other units is the document's; a hair above it is not
    subsidy["amount_per_unit"], subsidy["unit_amount"] = "10", "20000"
    assert broken(guizhou) == []
    subsidy["amount_per_unit"] = "10.01"
    assert [field for field, _ in broken(guizhou)] == [f"rewards.{index}.amount_per_unit"]
    # less than the cap is the province's to pay
    subsidy["amount_per_unit"], subsidy["unit_amount"] = "3", "10000"
    assert broken(guizhou) == []


def test_the_traffic_subsidy_cap_and_eligibility_stay(guizhou: dict[str, Any]) -> None:
    index, subsidy = reward(guizhou, "traffic-subsidy")
    subsidy["cap_per_enterprise"] = "1000000.01"
    subsidy["eligibility"]["value"] = "99999999"
    subsidy["excludes_cross_border"] = False
    assert broken(guizhou) == [
        (f"rewards.{index}.cap_per_enterprise", GUIZHOU_TRAFFIC_SUBSIDY.text),
        (f"rewards.{index}.eligibility.value", GUIZHOU_TRAFFIC_ELIGIBILITY.text),
        (f"rewards.{index}.excludes_cross_border", GUIZHOU_TRAFFIC_ELIGIBILITY.text),
    ]
    subsidy["cap_per_enterprise"] = "800000"
    subsidy["eligibility"]["value"] = "200000000"  # stricter than 亿元以上
    subsidy["excludes_cross_border"] = True
    assert broken(guizhou) == []


def test_designation_rewards_stay_within_each_categorys_cap(guizhou: dict[str, Any]) -> None:
    _, park_reward = reward(guizhou, "park-designation")
    team, team_reward = reward(guizhou, "team-designation")
    park_reward["max_amount"] = "2500000"  # less than 300万: the province's choice
    team_reward["max_amount"] = "60000"  # more than 5万
    assert broken(guizhou) == [(f"rewards.{team}.max_amount", GUIZHOU_DESIGNATION_CAPS.text)]
    team_reward["max_amount"] = None  # no cap at all is not within the document's
    assert broken(guizhou) == [(f"rewards.{team}.max_amount", GUIZHOU_DESIGNATION_CAPS.text)]


def test_sales_rewards_stay_within_their_tier(guizhou: dict[str, Any]) -> None:
    index, five = reward(guizhou, "sales-5-billion")
    five["max_amount"] = "3500000"
    assert broken(guizhou) == [(f"rewards.{index}.max_amount", GUIZHOU_SALES_CAPS.text)]
    five["max_amount"], five["threshold"] = "1000000", "2000000000"  # 20亿: the 10亿 tier's cap
    assert broken(guizhou) == []
    five["threshold"] = "500000000"  # 5亿: below every tier of the document
    assert broken(guizhou) == [(f"rewards.{index}.threshold", GUIZHOU_SALES_CAPS.text)]


def test_the_report_stays_due_on_10_december(guizhou: dict[str, Any]) -> None:
    window = guizhou["reporting_windows"][0]
    window["due_day"] = 15
    assert broken(guizhou) == [("reporting_windows.0.due_day", GUIZHOU_REPORT_DUE.text)]
    window["due_day"] = 10
    window["overrides"] = [
        {"year": 2024, "opens_on": "2024-10-25", "due_on": "2024-12-10"},
        {"year": 2025, "due_on": "2025-12-12"},
    ]
    assert broken(guizhou) == [("reporting_windows.0.overrides.1.due_on", GUIZHOU_REPORT_DUE.text)]


def test_what_the_province_may_change_passes(guizhou: dict[str, Any]) -> None:
    """Targets, the period, windows' other dates and offsets, rounds, amounts below the caps."""
    guizhou["period"]["end"] = "2026-12-31"
    guizhou["targets"][0]["value"] = "12"
    window = guizhou["reporting_windows"][0]
    window["last_year"], window["grace_days"] = 2026, 10
    window["reminders"] = {"before_days": [21, 7, 1], "after_days": [2]}
    guizhou["application_rounds"]["last_year"] = 2026
    guizhou["application_rounds"]["awarding"]["expert_panel"]["size"] = 7
    guizhou["application_rounds"]["awarding"]["public_notice"]["length"] = 7
    assert broken(guizhou) == []


def test_the_other_documents_fix_no_amounts(shipped: dict[str, Programme]) -> None:
    """Qinghai leaves its amounts to the yearly guide (000 三(二)); Qingdao names none."""
    qinghai = shipped["qinghai-2024-2026"].model_dump(mode="json")
    for item in qinghai["rewards"]:
        if item["kind"] == "designation":
            item["max_amount"] = "9000000"
    assert broken(qinghai) == []


def test_a_revision_keeps_the_programmes_identity(shipped: dict[str, Programme]) -> None:
    before = shipped[GUIZHOU]
    after = before.model_dump(mode="json")
    after["jurisdiction"] = "630000"
    after["source"]["file"] = "000_97a6efa9592fa78d.txt"
    after["name"] = "贵州省推动电子商务发展“十百千万”工程（修订）"  # the name may change
    assert unchangeable(before, validate_programme(after)) == ["jurisdiction", "source.file"]


def test_rounds_may_run_past_the_period(shipped: dict[str, Programme]) -> None:
    rounds = shipped[GUIZHOU].application_rounds
    assert rounds is not None
    assert list(rounds.years(2023, 2025)) == [2023, 2024, 2025]
    later = rounds.model_copy(update={"last_year": 2026})
    assert list(later.years(2023, 2025)) == [2023, 2024, 2025, 2026]
    data = shipped[GUIZHOU].model_dump(mode="json")
    data["application_rounds"]["last_year"] = 2022
    with pytest.raises(ValueError, match="last_year is before first_year"):
        validate_programme(data)
