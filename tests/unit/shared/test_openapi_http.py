"""Every service's OpenAPI document tells the truth about the HTTP conventions: where
Idempotency-Key is taken, which responses carry ETag, Location, Idempotent-Replayed and
Retry-After, where If-Match is required (428), how finance's callback is signed, and no two
path templates match the same path. Built without I/O."""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from shared.http.idempotency import IdempotencyMiddleware
from shared.service.openapi import needs_token
from tests.unit.shared.test_openapi_document import APPS

SENT_HEADERS = {
    "ETag": re.compile(r"[\"']ETag[\"']"),
    "Location": re.compile(r"[\"']Location[\"']"),
}


@pytest.fixture(scope="module", params=sorted(APPS))
def app(request: pytest.FixtureRequest) -> FastAPI:
    return APPS[request.param]()


def routes(app: FastAPI) -> list[tuple[str, APIRoute, dict[str, Any]]]:
    paths = app.openapi()["paths"]
    return [
        (method.lower(), route, paths[route.path_format][method.lower()])
        for route in app.routes
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods
    ]


def exempt_prefixes(app: FastAPI) -> tuple[str, ...]:
    [middleware] = [m for m in app.user_middleware if m.cls is IdempotencyMiddleware]
    return tuple(middleware.kwargs["exempt_prefixes"])


def header_parameters(operation: dict[str, Any]) -> set[str]:
    return {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}


def response_headers(operation: dict[str, Any], status: str) -> set[str]:
    return set(operation["responses"].get(status, {}).get("headers", {}))


def test_idempotency_key_is_documented_exactly_where_the_middleware_takes_it(
    app: FastAPI,
) -> None:
    exempt = exempt_prefixes(app)
    for method, route, operation in routes(app):
        taken = method == "post" and needs_token(route) and not route.path.startswith(exempt)
        assert ("idempotency-key" in header_parameters(operation)) == taken, (method, route.path)
        claims = "claim_idempotency_key" in inspect.getsource(route.endpoint)
        assert taken or not claims, f"{method} {route.path} claims a key it is never given"
        for status in operation["responses"]:
            replayable = status.startswith("2") or status in ("409", "422")
            documented = "Idempotent-Replayed" in response_headers(operation, status)
            assert documented == (taken and replayable), (method, route.path, status)
        if taken:
            assert "Retry-After" in response_headers(operation, "409"), route.path


def test_etag_and_location_are_documented_where_the_handler_sends_them(app: FastAPI) -> None:
    for method, route, operation in routes(app):
        source = inspect.getsource(route.endpoint)
        documented = {
            name
            for status in operation["responses"]
            if status.startswith("2")
            for name in response_headers(operation, status)
        }
        for name, pattern in SENT_HEADERS.items():
            if pattern.search(source):
                assert name in documented, f"{method} {route.path} sends {name} undocumented"


def test_every_header_reference_resolves_and_503_says_when_to_retry(app: FastAPI) -> None:
    document = app.openapi()
    declared = set(document["components"]["headers"])
    for method, route, operation in routes(app):
        for status, response in operation["responses"].items():
            for name, header in response.get("headers", {}).items():
                assert header == {"$ref": f"#/components/headers/{name}"}
                assert name in declared, (method, route.path, name)
            if status == "503":
                assert "Retry-After" in response["headers"], (method, route.path)


def test_428_only_where_if_match_is_required(app: FastAPI) -> None:
    for method, route, operation in routes(app):
        takes = "if-match" in header_parameters(operation)
        responses = operation["responses"]
        assert ("412" in responses) == takes, (method, route.path)
        if takes:
            assert "ETag" in response_headers(operation, "412")
        for parameter in operation.get("parameters", []):
            assert "x-if-match-required" not in parameter.get("schema", {})
        if "428" in responses:
            assert takes, (method, route.path)


def test_required_and_optional_if_match_are_told_apart() -> None:
    registry = APPS["registry"]().openapi()["paths"]
    assert "428" in registry["/v1/stores/{record_id}"]["patch"]["responses"]
    submissions = APPS["submissions"]().openapi()["paths"]
    review = submissions["/v1/windows/{window_id}/reports/{designation_id}/city-review"]["post"]
    assert "412" in review["responses"]
    assert "428" not in review["responses"]  # If-Match is optional there


def _segments_clash(left: str, right: str) -> bool:
    left_templated, right_templated = "{" in left, "{" in right
    if left_templated and right_templated:
        return True
    return left == right and not left_templated


def ambiguous(left: str, right: str) -> bool:
    """Two templates that match the same path where neither is more concrete: the OpenAPI
    rule (a literal segment is matched before a templated one, so those may coexist)."""
    a, b = left.strip("/").split("/"), right.strip("/").split("/")
    return (
        left != right
        and len(a) == len(b)
        and all(_segments_clash(x, y) for x, y in zip(a, b, strict=True))
    )


def test_no_two_path_templates_match_the_same_path(app: FastAPI) -> None:
    paths = list(app.openapi()["paths"])
    clashes = [(a, b) for a, b in itertools.combinations(paths, 2) if ambiguous(a, b)]
    assert not clashes


def test_the_ambiguity_check_finds_what_the_registry_had() -> None:
    assert ambiguous("/v1/imports/{kind}", "/v1/imports/{job_id}")
    assert not ambiguous("/v1/applications/waiting", "/v1/applications/{application_id}")
    assert not ambiguous("/v1/imports/{kind}/template.xlsx", "/v1/imports/{job_id}/errors.csv")


def test_the_finance_callback_documents_its_body_and_signature() -> None:
    document = APPS["awards"]().openapi()
    operation = document["paths"]["/callbacks/finance/payment-results"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/PaymentResult"}
    payment = document["components"]["schemas"]["PaymentResult"]
    assert {"award_id", "outcome", "idempotency_key"} <= set(payment["properties"])
    assert operation["security"] == [{"financeSignature": []}]
    scheme = document["components"]["securitySchemes"]["financeSignature"]
    assert scheme == scheme | {"type": "apiKey", "in": "header", "name": "X-Finance-Signature"}
    assert "idempotency-key" not in header_parameters(operation)  # no bearer: not replayed


def test_every_reference_in_the_document_resolves(app: FastAPI) -> None:
    document = app.openapi()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                target: Any = document
                for part in ref.removeprefix("#/").split("/"):
                    target = target[part]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)


def test_every_put_takes_if_match_and_every_json_get_documents_its_etag(app: FastAPI) -> None:
    for method, route, operation in routes(app):
        if method == "put":
            assert "if-match" in header_parameters(operation), route.path
        ok = operation["responses"].get("200", {})
        if method == "get" and "application/json" in ok.get("content", {}):
            assert "ETag" in response_headers(operation, "200"), route.path


def _query_fields(dependant: Any) -> list[Any]:
    fields = list(dependant.query_params)
    for sub in dependant.dependencies:
        fields += _query_fields(sub)
    return fields


def test_a_time_in_the_query_without_a_utc_offset_is_refused(app: FastAPI) -> None:
    """A time read in the server's zone would mean another instant on another server."""
    checked = 0
    for _method, route, _operation in routes(app):
        if route.path.startswith("/v1/audit"):
            continue  # the audit API's from/to are fixed with that API
        for field in _query_fields(route.dependant):
            aware, _ = field.validate("2025-03-01T10:00:00+08:00", {}, loc=("query",))
            if not isinstance(aware, dt.datetime):
                continue  # not a time
            checked += 1
            _, errors = field.validate("2025-03-01T10:00:00", {}, loc=("query",))
            assert errors, f"{route.path} reads {field.alias} in the server's zone"
    assert checked or app.title != "Submissions"  # completeness' as_of is one
