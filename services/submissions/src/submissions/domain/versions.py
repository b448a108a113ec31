"""Report versions: every submission is an immutable version; a diff lists the changed fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from submissions.domain.actors import Actor

Figure = Decimal | int


@dataclass(frozen=True)
class ReportVersion:
    """``on_behalf``: entered by the city bureau for the reporter (recorded as such)."""

    number: int
    submitted_at: dt.datetime
    submitted_by: Actor
    on_behalf: bool
    figures: Mapping[str, Figure]
    explanations: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Copies behind read-only views: nothing that held the input dicts can change a version.
        object.__setattr__(self, "figures", MappingProxyType(dict(self.figures)))
        object.__setattr__(self, "explanations", MappingProxyType(dict(self.explanations)))


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Figure | None
    after: Figure | None


def diff(older: ReportVersion, newer: ReportVersion) -> tuple[FieldChange, ...]:
    """Fields whose value differs (added and removed fields included), sorted by name.

    Values compare as numbers, so ``Decimal("10.0")`` and ``10`` are the same figure.
    """
    names = sorted(set(older.figures) | set(newer.figures))
    return tuple(
        FieldChange(name, older.figures.get(name), newer.figures.get(name))
        for name in names
        if older.figures.get(name) != newer.figures.get(name)
    )
