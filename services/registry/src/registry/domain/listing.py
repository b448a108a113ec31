"""A list of records as asked for: whom it is for (what the caller may see) and the filters of
the request, parsed. ``registry.db.list_queries`` turns it into SQL; lists and exports share it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from registry.domain.entities.spec import EntitySpec


@dataclass(frozen=True)
class Visibility:
    """The caller's reach (``shared.auth.scope.read_visibility``) in region codes: everything,
    or the records in any of these subtrees or owned by one of these enterprises."""

    everything: bool
    region_subtrees: tuple[tuple[str, ...], ...] = ()
    enterprise_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class DayBound:
    """``column``'s day (in China) on or after (``>=``) or on or before (``<=``) ``day``."""

    column: str
    operator: Literal[">=", "<="]
    day: dt.date


@dataclass(frozen=True)
class RecordFilters:
    """The filters in the order the request's parameters are read: region subtree, status,
    the record type's own columns, designated, in the statistics list, date ranges; and the
    name search."""

    region_codes: tuple[str, ...] | None = None
    status: str | None = None
    equal: tuple[tuple[str, str], ...] = ()  # (column, value)
    designated: bool | None = None
    programme_id: str | None = None
    in_statistics_list: bool | None = None
    year: int | None = None
    days: tuple[DayBound, ...] = ()
    search: str | None = None


@dataclass(frozen=True)
class RecordQuery:
    spec: EntitySpec
    visibility: Visibility
    filters: RecordFilters
