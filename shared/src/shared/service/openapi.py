"""The OpenAPI document as the APIs behave: the bearer scheme on the routes that verify a
token, and the problem+json errors each route can answer with (the ``Problem`` schema).

FastAPI documents neither on its own: our auth is a plain dependency, and its 422 names a
``HTTPValidationError`` body we never send. The error statuses follow from what a route
takes, since the conventions behind them are shared: a verified token (401, 403), any input
(400 for a bad cursor or a NUL in the URL, 422 for invalid input), a path id (404), a write
(409 for a conflict or a request still running under its Idempotency-Key), an ``If-Match``
header (412, 428). A route adds its own (413, 415 …) with ``responses=``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from shared.auth import current_principal
from shared.http.catalogue import CATALOGUE
from shared.http.problems import PROBLEM_JSON, Problem

BEARER = "bearerAuth"
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A JWT from the identity provider (locally: `make token`).",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
DESCRIPTIONS = {
    400: "Bad request (a cursor this API did not issue, a NUL character in the path)",
    401: "No bearer token, or an invalid one",
    403: "The caller's role or region may not do this",
    404: "Not found, or not visible to the caller",
    409: "Conflict with the current state (or the same Idempotency-Key still running)",
    412: "If-Match names a version that is no longer current",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input: `errors` names each field",
    428: "If-Match is required",
}
WRITES = {"post", "put", "patch", "delete"}


def _dependencies(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _dependencies(dependency)


def needs_token(route: APIRoute) -> bool:
    return any(call is current_principal for call in _dependencies(route.dependant))


def error_statuses(method: str, operation: dict[str, Any], *, authenticated: bool) -> set[int]:
    parameters = operation.get("parameters", [])
    places = {parameter["in"] for parameter in parameters}
    headers = {parameter["name"].lower() for parameter in parameters if parameter["in"] == "header"}
    statuses: set[int] = {401, 403} if authenticated else set()
    if parameters or "requestBody" in operation:
        statuses |= {400, 422}
    if "path" in places:
        statuses.add(404)
    if method in WRITES:
        statuses |= {409, 422}
    if "if-match" in headers:
        statuses |= {412, 428}
    return statuses


def _document_errors(responses: dict[str, Any], statuses: set[int]) -> dict[str, Any]:
    for status in statuses:
        responses.setdefault(str(status), {"description": DESCRIPTIONS.get(status, "Error")})
    for code, response in responses.items():
        if code.isdigit() and int(code) >= 400:
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
            if int(code) in DESCRIPTIONS and response.get("description") in (
                None,
                "Validation Error",
            ):
                response["description"] = DESCRIPTIONS[int(code)]
    return dict(sorted(responses.items()))


def _problem_schemas() -> dict[str, Any]:
    """``Problem`` as sent: optional members are left out, never null."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    for member in schema["properties"].values():
        variants = [v for v in member.pop("anyOf", []) if v.get("type") != "null"]
        if variants:
            member.pop("default", None)
            member.update(variants[0])
    schema["required"] = ["type", "code", "title", "status"]
    schema["properties"]["code"]["enum"] = CATALOGUE.codes()
    schema["properties"]["code"]["description"] = (
        "The kind of problem: `x-problem-types` lists each"
    )
    return {"Problem": schema, **definitions}


def problem_types() -> list[dict[str, Any]]:
    """Every kind a ``Problem`` may be, for clients that switch on ``code`` or ``type``."""
    return [
        {
            "code": kind.code,
            "type": kind.type,
            "status": kind.status,
            "title": kind.title.en,
            "title_zh": kind.title.zh,
            "description": kind.meaning,
        }
        for kind in CATALOGUE
    ]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(_problem_schemas())
    components["x-problem-types"] = problem_types()
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components.setdefault("securitySchemes", {})[BEARER] = BEARER_SCHEME
    routes = {
        (method.lower(), route.path_format): route
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            route = routes.get((method, path))
            authenticated = route is not None and needs_token(route)
            if authenticated:
                operation["security"] = [{BEARER: []}]
            statuses = error_statuses(method, operation, authenticated=authenticated)
            operation["responses"] = _document_errors(operation.get("responses", {}), statuses)
    return document


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
