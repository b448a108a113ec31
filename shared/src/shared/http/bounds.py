"""Size bounds for request fields, shared by every service's request schemas.

Every string, array and object a caller sends has a maximum that fits its purpose, so one
request cannot fill a column, a workflow history or an audit record with megabytes. Free-form
JSON objects (an application's materials, a report's figures, a violation's evidence) are
bounded by their serialized size, nesting depth and number of keys. A value over its bound is a
422 problem naming the field, like any other validation failure.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=100)]  # an indicator id, a code
Reason = Annotated[str, StringConstraints(max_length=2000)]

# indicator id -> a sentence: explanations of large changes, a reviewer's field comments.
Comments = Annotated[dict[Key, Reason], Field(max_length=500)]


def _shape(value: Any, max_depth: int) -> tuple[int, int]:
    """The nesting depth of ``value`` (a scalar 0, an object or array one more than its deepest
    member) and its number of keys at every level together, in one walk without recursion.
    The walk stops as soon as the depth is over ``max_depth`` (that is the answer then)."""
    depth = keys = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict):
            keys += len(item)
            members: Any = item.values()
        elif isinstance(item, list):
            members = item
        else:
            continue
        if level > depth:
            depth = level
            if depth > max_depth:
                return depth, keys
        pending.extend(
            (member, level + 1) for member in members if isinstance(member, (dict, list))
        )
    return depth, keys


def bounded(*, max_bytes: int, max_depth: int, max_keys: int) -> AfterValidator:
    """The check of a free-form JSON object: at most ``max_bytes`` as UTF-8 JSON, ``max_depth``
    levels of nesting and ``max_keys`` keys at every level together."""

    def check(value: dict[str, Any]) -> dict[str, Any]:
        # The depth first (the walk stops there when it is over): figures and materials are
        # validated on every write, and one walk instead of two recursive ones halves it.
        depth, keys = _shape(value, max_depth)
        if depth > max_depth:
            raise ValueError(f"nested deeper than {max_depth} levels")
        if keys > max_keys:
            raise ValueError(f"more than {max_keys} keys in all")
        size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
        if size > max_bytes:
            raise ValueError(f"{size} bytes as JSON; at most {max_bytes}")
        return value

    return AfterValidator(check)


# An application's 申报表 fields and 申报书 text by material id; a step's additions to them.
Materials = Annotated[
    dict[str, Any],
    bounded(max_bytes=256 * 1024, max_depth=6, max_keys=1000),
    Field(max_length=1000),
]
# Reported figures: indicator -> a number, a decimal string or {"value": …, "unit": …}.
Figures = Annotated[
    dict[str, Any], bounded(max_bytes=64 * 1024, max_depth=3, max_keys=3000), Field(max_length=1000)
]
# What a decision rests on (documents, findings): a short structured note.
Evidence = Annotated[
    dict[str, Any], bounded(max_bytes=32 * 1024, max_depth=6, max_keys=500), Field(max_length=500)
]
