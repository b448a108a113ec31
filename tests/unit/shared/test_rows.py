"""``from_row``: a dataclass read from a row, field by column, its fields read once per class."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from shared.db.rows import from_row


@dataclass(frozen=True)
class Item:
    id: int
    name: str
    tags: list[str] = field(default_factory=list)
    note: str | None = None


def test_columns_fill_the_fields_given_values_win_and_defaults_stand_in_for_missing_columns() -> (
    None
):
    row = {"id": 1, "name": "a", "note": "n", "other": "ignored"}
    assert from_row(Item, row) == Item(id=1, name="a", note="n")
    assert from_row(Item, row, name="b") == Item(id=1, name="b", note="n")
    assert from_row(Item, {"id": 2, "name": "c", "tags": ["x"]}) == Item(2, "c", ["x"])


def test_a_missing_column_without_a_default_fails_on_every_row_not_only_the_first() -> None:
    for _ in range(2):
        with pytest.raises(KeyError):
            from_row(Item, {"id": 1})
