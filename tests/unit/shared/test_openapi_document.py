"""Each service's OpenAPI document says what the API does: bearer auth, problem+json errors
with the real body, and the filters read from the query string. Built without I/O."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from awards.api.app import create_app as awards_app
from awards.config import AwardsSettings
from notifications.api.app import create_app as notifications_app
from notifications.config import NotificationsSettings
from registry.api.app import create_app as registry_app
from registry.config import RegistrySettings
from submissions.api.app import create_app as submissions_app
from submissions.config import SubmissionsSettings

SETTINGS: dict[str, Any] = {
    "environment": "test",
    "database_url": "postgresql://nobody@127.0.0.1:1/none",
    "kafka_bootstrap_servers": "127.0.0.1:1",
    "jwt_public_key": "unused",
}
APPS = {
    "registry": lambda: registry_app(RegistrySettings(**SETTINGS)),
    "submissions": lambda: submissions_app(SubmissionsSettings(**SETTINGS)),
    "awards": lambda: awards_app(AwardsSettings(**SETTINGS)),
    "notifications": lambda: notifications_app(NotificationsSettings(**SETTINGS)),
}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]


@pytest.fixture(scope="module", params=sorted(APPS))
def document(request: pytest.FixtureRequest) -> dict[str, Any]:
    app: FastAPI = APPS[request.param]()
    return app.openapi()


def test_the_bearer_scheme_is_declared_and_applied_to_every_v1_route(
    document: dict[str, Any],
) -> None:
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert scheme == scheme | {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    for method, path, operation in operations(document):
        if path.startswith("/v1/"):
            assert operation["security"] == [{"bearerAuth": []}], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)


def test_every_error_response_is_a_problem_document(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["Problem"]["required"] == ["type", "code", "title", "status"]
    assert {"detail", "instance", "errors"} <= set(schemas["Problem"]["properties"])
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                content = response["content"]
                assert list(content) == ["application/problem+json"], (method, path, status)
                assert content["application/problem+json"]["schema"] == {
                    "$ref": "#/components/schemas/Problem"
                }


def test_the_registry_documents_its_error_statuses_and_query_filters() -> None:
    document = registry_app(RegistrySettings(**SETTINGS)).openapi()
    paths = document["paths"]
    patch = paths["/v1/stores/{record_id}"]["patch"]["responses"]
    assert {"400", "401", "403", "404", "409", "412", "422", "428"} <= set(patch)
    assert {"413", "415"} <= set(paths["/v1/imports/{kind}"]["post"]["responses"])
    assert "text/csv" in paths["/v1/imports/{kind}"]["post"]["requestBody"]["content"]
    listed = {p["name"] for p in paths["/v1/enterprises"]["get"]["parameters"]}
    assert {"designated", "programme_id", "in_statistics_list", "year", "kind"} <= listed
    assert {"created_at_from", "created_at_to"} <= listed
    stores = {p["name"] for p in paths["/v1/stores"]["get"]["parameters"]}
    assert {"platform", "owner_enterprise_id", "opened_on_from", "closed_on_to"} <= stores
    assert "in_statistics_list" not in stores
    exported = {p["name"] for p in paths["/v1/exports/{file_name}"]["get"]["parameters"]}
    assert {"platform", "in_statistics_list", "brand_id", "designated"} <= exported
