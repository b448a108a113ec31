"""The list filters every record type shares (region subtree, status, name search, its own
columns, flags, date ranges), read from a request's query string with the caller's visibility.
Lists and exports both use them; the OpenAPI says them (``registry.api.list_filters``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from registry.domain.entities.definitions import ENTERPRISE
from registry.domain.entities.spec import EntitySpec
from registry.domain.listing import DayBound, RecordFilters, RecordQuery
from registry.domain.regions import RegionTree
from registry.domain.scope import subtree_codes
from registry.handlers.scope import caller_visibility, require_known_region
from shared.auth import Principal
from shared.china_time import CHINA
from shared.http.problems import ProblemError, invalid
from shared.i18n import t

_BOUNDS: tuple[tuple[str, Literal[">=", "<="]], ...] = (("from", ">="), ("to", "<="))


@dataclass(frozen=True)
class ListRequest:
    """A list's filters as the request gives them (lists and exports take the same): the region
    (its subtree), the record status, the name search, and the whole query string for the record
    type's own columns, flags and date ranges."""

    region: str | None
    record_status: str | None
    q: str | None
    parameters: Mapping[str, str]


def record_query(
    spec: EntitySpec, principal: Principal, regions: RegionTree, listed: ListRequest
) -> RecordQuery:
    """The list for the caller's visibility and the request's filters (lists, exports)."""
    region, parameters = listed.region, listed.parameters
    visibility = caller_visibility(principal, regions)
    region_codes = None
    if region:
        require_known_region(regions, region, field="region")
        region_codes = tuple(subtree_codes(regions, region))
    equal = tuple(
        (column, parameters[name]) for name, column in spec.filters.items() if name in parameters
    )
    designated = _flag(parameters, "designated")
    in_list = _flag(parameters, "in_statistics_list") if spec is ENTERPRISE else None
    raw_year = parameters.get("year", str(dt.datetime.now(CHINA).year))
    if not raw_year.isdigit() or not 1990 <= int(raw_year) <= 2100:
        raise _bad_parameter("year", "expected a year such as 2025", "int")
    filters = RecordFilters(
        region_codes=region_codes,
        status=listed.record_status or None,
        equal=equal,
        designated=designated,
        programme_id=parameters.get("programme_id"),
        in_statistics_list=in_list,
        year=int(raw_year),
        days=_days(spec, parameters),
        search=listed.q or None,
    )
    return RecordQuery(spec, visibility, filters)


def _bad_parameter(name: str, message: str, kind: str) -> ProblemError:
    return invalid(
        [{"field": f"query.{name}", "message": message, "type": kind}],
        t(f"{name}：{message}", f"{name}: {message}"),
    )


def _flag(parameters: Mapping[str, str], name: str) -> bool | None:
    """``designated`` (holds a demonstration title now; ``programme_id`` narrows it) on every
    record type; ``in_statistics_list`` (限额以上/上规入统, for ``year``, default this year in
    China) on enterprises."""
    raw = parameters.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise _bad_parameter(name, "expected true or false", "bool")


def _days(spec: EntitySpec, parameters: Mapping[str, str]) -> tuple[DayBound, ...]:
    bounds: list[DayBound] = []
    for column in spec.date_filters:
        for suffix, operator in _BOUNDS:
            raw = parameters.get(f"{column}_{suffix}")
            if raw is None:
                continue
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError as exc:
                raise _bad_parameter(f"{column}_{suffix}", "expected YYYY-MM-DD", "date") from exc
            bounds.append(DayBound(column, operator, day))
    return tuple(bounds)
