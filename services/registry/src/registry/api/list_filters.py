"""The list filters every record type shares, as the OpenAPI document says them: they are read
from the query string (``registry.handlers.listing``), not as route arguments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from registry.domain.entities.definitions import ENTERPRISE
from registry.domain.entities.spec import EntitySpec


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
