"""What a revision changed (``registry.domain.revisions``): field paths (by name), list items
by their id, items added and removed, whole lists where items have no id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.domain.revisions import Change, changes
from shared.programmes import load_programme

ROOT = Path(__file__).resolve().parents[3]


def guizhou() -> dict[str, Any]:
    path = ROOT / "shared" / "programmes" / "guizhou-shibaiqianwan-2023.yaml"
    return load_programme(path).model_dump(mode="json")


def test_the_same_programme_changes_nothing() -> None:
    assert changes(guizhou(), guizhou()) == []


def test_fields_are_named_by_path_and_list_items_by_their_id() -> None:
    before, after = guizhou(), guizhou()
    after["period"]["end"] = "2026-12-31"
    subsidy = next(r for r in after["rewards"] if r["id"] == "traffic-subsidy")
    subsidy["amount_per_unit"] = "4"
    after["reporting_windows"][0]["reminders"]["before_days"] = [21, 7]
    assert changes(before, after) == [
        Change("period.end", "2025-12-31", "2026-12-31"),
        Change(
            "reporting_windows[annual-report].reminders.before_days", [30, 14, 7, 3, 1], [21, 7]
        ),
        Change("rewards[traffic-subsidy].amount_per_unit", "5", "4"),
    ]


def test_moving_an_item_is_no_change_and_adding_or_removing_one_names_it() -> None:
    before, after = guizhou(), guizhou()
    after["targets"].reverse()
    assert changes(before, after) == []
    removed = after["targets"].pop()
    added = {**removed, "id": "designated-parks-2026", "value": "12"}
    after["targets"].append(added)
    assert changes(before, after) == [
        Change(f"targets[{removed['id']}]", removed, None),
        Change("targets[designated-parks-2026]", None, added),
    ]


def test_items_keyed_by_year_and_lists_without_keys() -> None:
    before = {"overrides": [{"year": 2024, "due_on": None}], "checks": [{"field": "a"}]}
    after = {
        "overrides": [{"year": 2024, "due_on": "2024-12-10"}, {"year": 2026, "due_on": None}],
        "checks": [{"field": "b"}],
    }
    assert changes(before, after) == [
        Change("checks", [{"field": "a"}], [{"field": "b"}]),
        Change("overrides[2024].due_on", None, "2024-12-10"),
        Change("overrides[2026]", None, {"year": 2026, "due_on": None}),
    ]
