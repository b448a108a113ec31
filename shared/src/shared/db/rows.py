"""Reading a query's row into a dataclass of the domain, field by column."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def from_row(cls: type[T], row: Mapping[str, Any], **given: Any) -> T:
    """``cls`` (a dataclass) with each field read from the row's column of the same name, but
    for those ``given``: values the caller computes, or reads from a column of another name.
    A field with a default may have no column; any other missing column is a ``KeyError``, so
    a query that stops selecting a field fails where it is read."""
    columns = set(row.keys())
    values = {
        name: row[name]
        for name, required in _fields(cls)
        if name not in given and (name in columns or required)
    }
    return cls(**values, **given)


_FIELDS: dict[type[Any], tuple[tuple[str, bool], ...]] = {}


def _fields(cls: type[Any]) -> tuple[tuple[str, bool], ...]:
    """A dataclass's init fields, each with whether it has no default: read once per class,
    not once per row (the sender reads one per delivery)."""
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(
            (field.name, not _has_default(field)) for field in dataclasses.fields(cls) if field.init
        )
    return fields


def _has_default(field: dataclasses.Field[Any]) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )
