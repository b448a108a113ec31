"""The list filters every record type shares (region subtree, status, name search, its own
columns, flags, date ranges), applied to a ``ListQuery`` with the caller's visibility. Lists
and exports both use them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import Request

from registry.api.scope import require_known_region, restrict_to_caller, subtree_codes
from registry.db import entity_queries as queries
from registry.domain.regions import RegionTree
from registry.entities.definitions import ENTERPRISE
from registry.entities.handlers import CHINA
from registry.entities.spec import EntitySpec
from shared.auth import Principal
from shared.http.problems import ProblemError, invalid
from shared.i18n import t


def filtered_query(
    spec: EntitySpec,
    request: Request,
    principal: Principal,
    regions: RegionTree,
    region: str | None,
    record_status: str | None,
    q: str | None,
) -> queries.ListQuery:
    """The list query for the caller's visibility and the request's filters (lists, exports)."""
    query = queries.ListQuery(spec)
    restrict_to_caller(query, principal, regions)
    if region:
        require_known_region(regions, region, field="region")
        query.where(f"region_code = ANY({query.bind(subtree_codes(regions, region))})")
    if record_status:
        query.where(f"status = {query.bind(record_status)}")
    _apply_filters(query, spec, request)
    query.search = q or None
    return query


def _parameter(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def filter_parameters(specs: Iterable[EntitySpec]) -> list[dict[str, Any]]:
    """The filters read from the query string (not as route arguments), for the OpenAPI."""
    flag = {"type": "boolean"}
    declared = {
        "designated": _parameter("designated", flag, "holds a demonstration title now"),
        "programme_id": _parameter(
            "programme_id", {"type": "string"}, "with designated: the title's programme"
        ),
    }
    for spec in specs:
        if spec is ENTERPRISE:
            declared["in_statistics_list"] = _parameter(
                "in_statistics_list",
                flag,
                "enterprises: in the statistics list (限额以上/上规入统)",
            )
            declared["year"] = _parameter(
                "year",
                {"type": "integer", "minimum": 1990, "maximum": 2100},
                "with in_statistics_list: the year (default this year)",
            )
        for name, column in spec.filters.items():
            declared[name] = _parameter(name, {"type": "string"}, f"{spec.path}: equal {column}")
        for column in spec.date_filters:
            for suffix, bound in (("from", "on or after"), ("to", "on or before")):
                name = f"{column}_{suffix}"
                schema = {"type": "string", "format": "date"}
                declared[name] = _parameter(name, schema, f"{column} {bound} (YYYY-MM-DD)")
    return list(declared.values())


def _bad_parameter(name: str, message: str, kind: str) -> ProblemError:
    return invalid(
        [{"field": f"query.{name}", "message": message, "type": kind}],
        t(f"{name}：{message}", f"{name}: {message}"),
    )


def _flag(parameters: Mapping[str, str], name: str) -> bool | None:
    raw = parameters.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise _bad_parameter(name, "expected true or false", "bool")


def _apply_flags(query: queries.ListQuery, spec: EntitySpec, parameters: Mapping[str, str]) -> None:
    """``designated`` (holds a demonstration title now; ``programme_id`` narrows it) on every
    record type; ``in_statistics_list`` (限额以上/上规入统, for ``year``, default this year in
    China) on enterprises."""
    designated = _flag(parameters, "designated")
    if designated is not None:
        condition = queries.designated(spec, query, parameters.get("programme_id"))
        query.where(condition if designated else f"NOT {condition}")
    in_list = _flag(parameters, "in_statistics_list") if spec is ENTERPRISE else None
    raw_year = parameters.get("year", str(dt.datetime.now(CHINA).year))
    if not raw_year.isdigit() or not 1990 <= int(raw_year) <= 2100:
        raise _bad_parameter("year", "expected a year such as 2025", "int")
    if in_list is not None:
        condition = queries.in_statistics_list(query, int(raw_year))
        query.where(condition if in_list else f"NOT {condition}")


def _china_day(column: str) -> str:
    """The day a column falls on in China. A ``…_at`` column is a timestamptz, whose plain
    ``::date`` would be the day in the database session's zone (UTC on most servers), so a
    record created at 02:00 Beijing time would count as the day before."""
    return f"({column} AT TIME ZONE 'Asia/Shanghai')::date" if column.endswith("_at") else column


def _apply_filters(query: queries.ListQuery, spec: EntitySpec, request: Request) -> None:
    parameters = request.query_params
    for name, column in spec.filters.items():
        if name in parameters:
            value = parameters[name]
            if column == "kinds":
                query.where(f"{column} @> ARRAY[{query.bind(value)}]::text[]")
            else:
                query.where(f"{column}::text = {query.bind(value)}")
    _apply_flags(query, spec, parameters)
    for column in spec.date_filters:
        for suffix, operator in (("from", ">="), ("to", "<=")):
            raw = parameters.get(f"{column}_{suffix}")
            if raw is None:
                continue
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError as exc:
                raise _bad_parameter(f"{column}_{suffix}", "expected YYYY-MM-DD", "date") from exc
            query.where(f"{_china_day(column)} {operator} {query.bind(day)}")
