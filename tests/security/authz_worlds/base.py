"""What every service's world shares: the seeded records, the callers' claims, and how an
operation's request is filled in when the world names nothing for it (from the document's own
schemas: a value of the right shape, the region of the case where a region is asked for)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from shared.auth.roles import Role
from tests.security.authz_matrix import (
    CALLERS,
    REGION,
    Call,
    Operation,
    Record,
    audit_readers,
    ghost_uuid,
    subject,
)

AUDIT_PATHS = ("/v1/audit", "/v1/audit.csv")


class World:
    """A service's records by region, and the requests that aim at them."""

    name = ""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.records: list[Record] = []
        self.operator_enterprises: list[str] = []
        # Operations whose answers show every region's records by design, with the reason.
        self.public: dict[str, str] = {}
        # Failures stepped around as known defects, each reproduced as a strict xfail in
        # tests/security/test_found_bugs.py: (operation key, role or None for every role,
        # relation or None for every relation) -> (a fragment of the failure, the finding).
        self.known: dict[tuple[str, Role | None, str | None], tuple[str, str]] = {}
        # Audit actions of the matrix callers stepped around the same way: action -> finding.
        self.known_changes: dict[str, str] = {}

    def prepare_app(self, app: Any, dsn: str) -> None:
        """Anything the app needs before it starts (a clock, settings of its state)."""

    def seed(self, client: Any, tokens: Any) -> None:
        """Make the world's records (through the service's API where it can)."""

    # Callers -----------------------------------------------------------------------------

    def claims(self, role: Role) -> dict[str, Any]:
        claims = {**CALLERS[role], "sub": subject(role)}
        if role is Role.operator:
            claims["enterprise_ids"] = list(self.operator_enterprises)
        return claims

    def readers(self, operation: Operation, record: Record) -> frozenset[Role]:
        """Who may see ``record``'s markers in this operation's answers."""
        if operation.path in AUDIT_PATHS:
            return audit_readers(record.region_code)
        return record.readers

    def known_defect(self, operation: Operation, role: Role, relation: str, failure: str) -> str:
        """The finding a failure is already known as, or ""."""
        for (key, known_role, known_relation), (fragment, finding) in self.known.items():
            if key == operation.key and known_role in (None, role) and fragment in failure:
                if known_relation in (None, relation):
                    return finding
        return ""

    # Requests ----------------------------------------------------------------------------

    def call(self, operation: Operation, role: Role, relation: str) -> Call:
        call = Call()
        for parameter in operation.parameters:
            name, place = parameter["name"], parameter["in"]
            if place == "path":
                value, record = self.path_value(operation, name, role, relation)
                call.path[name] = value
                call.target = record or call.target
            elif place == "query":
                value = self.query_value(operation, name, role, relation)
                if value is None and parameter.get("required"):
                    value = example(parameter.get("schema", {}), name, relation)
                if value is not None:
                    call.query[name] = value
            elif place == "header" and name.lower() == "if-match":
                call.headers["If-Match"] = "*"  # the precondition never stands in the way
        self.fill_body(operation, call, role, relation)
        return call

    def ghost(self, operation: Operation, role: Role, relation: str) -> Call | None:
        """The case's request with the seeded record in its path swapped for one that does not
        exist (what else the path names, a programme say, stays); None when it names none."""
        call = self.call(operation, role, relation)
        if call.target is None:
            return None
        for name in list(call.path):
            ghost = self.ghost_value(operation, name)
            if ghost is not None:
                call.path[name] = ghost
        call.target = None
        return call

    def path_value(
        self, operation: Operation, name: str, role: Role, relation: str
    ) -> tuple[str, Record | None]:
        schema = self.parameter_schema(operation, name)
        return str(example(schema, name, relation)), None

    def ghost_value(self, operation: Operation, name: str) -> str | None:
        schema = self.parameter_schema(operation, name)
        if schema.get("format") == "uuid":
            return ghost_uuid()
        return None

    def query_value(self, operation: Operation, name: str, role: Role, relation: str) -> Any:
        return None

    def body(self, operation: Operation, role: Role, relation: str) -> Any:
        """A JSON body for this case, or None to derive one from the document."""
        return None

    def fill_body(self, operation: Operation, call: Call, role: Role, relation: str) -> None:
        if operation.request_body is None:
            return
        body = self.body(operation, role, relation)
        if body is not None:
            call.json_body = body
            return
        content = operation.request_body.get("content", {})
        if "application/json" in content:
            schema = content["application/json"].get("schema", {})
            call.json_body = example(self.resolve(schema), "body", relation, self.resolve)
        elif content:
            media = next(iter(content))
            call.content, call.headers["Content-Type"] = b"matrix", media

    # Schemas -----------------------------------------------------------------------------

    def parameter_schema(self, operation: Operation, name: str) -> dict[str, Any]:
        for parameter in operation.parameters:
            if parameter["name"] == name:
                return self.resolve(parameter.get("schema", {}))
        return {}

    def resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.document["components"]["schemas"][schema["$ref"].split("/")[-1]]
        return dict(schema)


SIX_DIGITS = re.compile(r"^\^\\d\{6\}\$$")


def example(
    schema: Mapping[str, Any],
    name: str,
    relation: str,
    resolve: Any = None,
) -> Any:
    """A value of the schema's shape (required properties only), the case's region where a
    region code is asked for."""
    resolve = resolve or (lambda s: dict(s))
    schema = resolve(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [resolve(s) for s in schema[key] if resolve(s).get("type") != "null"]
            return example(options[0] if options else {}, name, relation, resolve)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type", "string")
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            key: example(properties[key], key, relation, resolve)
            for key in schema.get("required", [])
            if key in properties
        }
    if kind == "array":
        return [
            example(schema.get("items", {}), name, relation, resolve)
            for _ in range(schema.get("minItems", 0))
        ]
    if kind == "integer":
        return (
            max(int(schema.get("minimum", 2025)), 2025)
            if name == "year"
            else int(schema.get("minimum", 1))
        )
    if kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    return _text(schema, name, relation)


def _text(schema: Mapping[str, Any], name: str, relation: str) -> str:
    form = schema.get("format")
    if form == "uuid":
        return ghost_uuid()
    if form == "date":
        return "2025-06-30"
    if form == "date-time":
        return "2025-06-30T08:00:00+08:00"
    pattern = schema.get("pattern", "")
    if "region" in name or SIX_DIGITS.match(pattern):
        return REGION[relation]
    if pattern and pattern.startswith("^\\d{4}"):
        return "2025"
    return "矩阵" + "x" * max(0, int(schema.get("minLength", 1)) - 2)
