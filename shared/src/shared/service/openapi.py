"""The OpenAPI document as the APIs behave: the bearer scheme on the routes that verify a
token, and the problem+json errors each route can answer with (the ``Problem`` schema).

FastAPI documents neither on its own: our auth is a plain dependency, and its 422 names a
``HTTPValidationError`` body we never send. The error statuses follow from what a route
takes, since the conventions behind them are shared: a verified token (401, 403), any input
(400 for a repeated query parameter, a bad cursor or a NUL in the URL, 422 for invalid
input), a path id (404), a write (409 for a conflict or a request still running under its
Idempotency-Key), an ``If-Match`` header (412; 428 where it is required). The convention headers are added by
``shared.service.openapi_http``. A route adds its own (413, 415 …) with ``responses=``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from shared.auth import current_principal
from shared.http.catalogue import CATALOGUE
from shared.http.problems import PROBLEM_JSON, Problem
from shared.service.openapi_http import (
    document_conventions,
    header_components,
    if_match_required,
    takes_idempotency_key,
)

BEARER = "bearerAuth"
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A JWT from the identity provider (locally: `make token`), verified as "
    "RFC8725 (JWT best current practices) advises: only the allowed signature algorithms "
    "(never `none`), the expiry always, the issuer and audience where configured.",
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
DESCRIPTIONS = {
    400: "Bad request (a query parameter that takes one value sent more than once, a cursor "
    "this API did not issue, a NUL character in the path, a body that is not UTF-8)",
    401: "No bearer token, or an invalid one",
    403: "The caller's role or region may not do this",
    404: "Not found, or not visible to the caller",
    409: "Conflict with the current state (or the same Idempotency-Key still running)",
    412: "If-Match names a version that is no longer current",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input: `errors` names each field",
    428: "If-Match is required",
    429: "Too many requests from this caller: wait `Retry-After` seconds",
}
WRITES = {"post", "put", "patch", "delete"}


def _dependencies(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _dependencies(dependency)


def needs_token(route: APIRoute) -> bool:
    return any(call is current_principal for call in _dependencies(route.dependant))


def error_statuses(
    method: str, operation: dict[str, Any], *, authenticated: bool, if_match: bool | None = None
) -> set[int]:
    """``if_match``: whether the route requires If-Match (None: it takes none)."""
    parameters = operation.get("parameters", [])
    places = {parameter["in"] for parameter in parameters}
    # Every documented route is rate-limited (shared.http.rate_limit); bodies are bounded.
    statuses: set[int] = {401, 403, 429} if authenticated else {429}
    if parameters or "requestBody" in operation:
        statuses |= {400, 422}
    if "requestBody" in operation:
        statuses.add(413)
    if "path" in places:
        statuses.add(404)
    if method in WRITES:
        statuses |= {409, 422}
    if if_match is not None:
        statuses.add(412)
    if if_match:
        statuses.add(428)
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


def add_components(
    app: FastAPI,
    *,
    models: Sequence[type[BaseModel]] = (),
    security_schemes: Mapping[str, dict[str, Any]] | None = None,
) -> None:
    """Schemas and security schemes that no route's signature brings in: a body a route reads
    itself (to check a signature over its bytes first), and how such a route authenticates."""
    extra = app.state.__dict__.setdefault("openapi_components", {"models": [], "security": {}})
    extra["models"].extend(models)
    extra["security"].update(security_schemes or {})


def _extra_schemas(models: Sequence[type[BaseModel]]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def build_openapi(app: FastAPI, idempotency_exempt: tuple[str, ...] = ()) -> dict[str, Any]:
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
    components["headers"] = header_components()
    extra = getattr(app.state, "openapi_components", {"models": [], "security": {}})
    schemas.update(_extra_schemas(extra["models"]))
    components["securitySchemes"].update(extra["security"])
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
            if_match = if_match_required(operation)
            statuses = error_statuses(
                method, operation, authenticated=authenticated, if_match=if_match
            )
            operation["responses"] = _document_errors(operation.get("responses", {}), statuses)
            document_conventions(
                method,
                operation,
                idempotent=takes_idempotency_key(method, path, authenticated, idempotency_exempt),
                takes_if_match=if_match is not None,
            )
    _drop_unused_headers(document)
    return document


def _drop_unused_headers(document: dict[str, Any]) -> None:
    """Only the convention headers this API sends stay in its components."""
    text = json.dumps(document["paths"])
    headers = document["components"]["headers"]
    for name in list(headers):
        if f'"#/components/headers/{name}"' not in text:
            del headers[name]


def install_openapi(app: FastAPI, idempotency_exempt: Sequence[str] = ()) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, tuple(idempotency_exempt))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
