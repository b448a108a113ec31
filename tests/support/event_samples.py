"""One valid instance of every catalogued event, built from its JSON schema (the fewest fields
its schema allows, optional ones left out), for tests that must cover the whole catalogue."""

from __future__ import annotations

import re
from typing import Any

from shared.events.envelope import DomainEvent

_FORMATS = {
    "date": "2025-12-10",
    "date-time": "2025-12-10T08:00:00Z",
    "uuid": "0b5f1d3e-6a9c-4f0e-9d1b-2c3a4b5c6d7e",
    "email": "someone@example.com",
    "uri": "https://example.com/x",
}


def sample_of(event_class: type[DomainEvent]) -> DomainEvent:
    schema = event_class.model_json_schema()
    return event_class.model_validate(_value(schema, schema.get("$defs", {})))


def _value(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    if "$ref" in schema:
        return _value(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for options in ("anyOf", "oneOf", "allOf"):
        if options in schema:
            chosen = [s for s in schema[options] if s.get("type") != "null"] or schema[options]
            return _value(chosen[0], defs)
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        return {name: _value(schema["properties"][name], defs) for name in required}
    if kind == "array":
        return [_value(schema.get("items", {}), defs) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "string":
        if "format" in schema and schema["format"] in _FORMATS:
            return _FORMATS[schema["format"]]
        if "pattern" in schema:
            return _matching(schema["pattern"])
        return "x" * max(1, schema.get("minLength", 1))
    return "x"


def _matching(pattern: str) -> str:
    """A value for the string patterns the event models use."""
    for candidate in ("520102", "91310110666007217T", "1000.00", "2025", "x", "00"):
        if re.search(pattern, candidate):
            return candidate
    raise ValueError(f"no sample for pattern {pattern}")
