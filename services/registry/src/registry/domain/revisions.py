"""What changed between two revisions of a programme, field by field.

Both sides are the programme as JSON (``Programme.model_dump(mode="json")``). A change names
its field as a dotted path; an item of a list that identifies its items (by ``id``, else
``category``, ``year`` or ``event``, each unique in the list) is named by that key in brackets,
so moving, adding or removing one item names that item rather than every one after it:
``rewards[traffic-subsidy].amount_per_unit``, ``reporting_windows[annual-report].reminders.
before_days``. A list without such a key (offsets, quotes) changes as a whole. An item added
has ``before`` null, one removed ``after`` null.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ITEM_KEYS = ("id", "category", "year", "event")


@dataclass(frozen=True)
class Change:
    path: str
    before: Any
    after: Any


def changes(before: Any, after: Any) -> list[Change]:
    """Every field that differs: fields by name, list items in the order of ``before`` (then
    the new ones)."""
    found: list[Change] = []
    _walk(before, after, "", found)
    return found


def _walk(before: Any, after: Any, path: str, found: list[Change]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        # By name: the stored JSON (jsonb) keeps no order of its own, and the answer should
        # not depend on which side came from the database.
        for name in sorted({*before, *after}):
            _walk(before.get(name), after.get(name), _field(path, name), found)
        return
    if isinstance(before, list) and isinstance(after, list):
        key = _item_key(before, after)
        if key is not None:
            old = {item[key]: item for item in before}
            new = {item[key]: item for item in after}
            for value in [*old, *(value for value in new if value not in old)]:
                _walk(old.get(value), new.get(value), f"{path}[{value}]", found)
            return
    found.append(Change(path, before, after))


def _field(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _item_key(before: list[Any], after: list[Any]) -> str | None:
    """The key that identifies the items of both lists, if one does."""
    items = [*before, *after]
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in ITEM_KEYS:
        if all(isinstance(item.get(key), str | int) for item in items) and all(
            len({item[key] for item in side}) == len(side) for side in (before, after)
        ):
            return key
    return None
