"""The routes ``ecom-admin`` calls, and the registry routes the programme dashboard reads
through Grafana's Infinity data source, exist in the services' OpenAPI documents (built
without I/O), so that a moved or renamed route fails here rather than in an operator's hands."""

from __future__ import annotations

import importlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from shared.admin.client import ROUTES

ROOT = Path(__file__).resolve().parents[3]
SETTINGS: dict[str, Any] = {
    "environment": "test",
    "database_url": "postgresql://nobody@127.0.0.1:1/none",
    "kafka_bootstrap_servers": "127.0.0.1:1",
    "jwt_public_key": "unused",
}
SETTINGS_CLASSES = {
    "registry": "registry.config:RegistrySettings",
    "submissions": "submissions.config:SubmissionsSettings",
    "awards": "awards.config:AwardsSettings",
    "notifications": "notifications.config:NotificationsSettings",
}


def _load(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


@cache
def paths(service: str) -> dict[str, set[str]]:
    """Path template -> methods (lower case), as the service's OpenAPI document has them."""
    settings = _load(SETTINGS_CLASSES[service])(**SETTINGS)
    app = _load(f"{service}.api.app:create_app")(settings)
    return {path: set(methods) for path, methods in app.openapi()["paths"].items()}


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_route_the_cli_calls_exists(route: str) -> None:
    service, method, template = ROUTES[route]
    known = paths(service)
    assert template in known, f"{service} has no {template}"
    assert method.lower() in known[template], f"{service} {template} has no {method}"


def test_the_programme_dashboard_reads_existing_registry_routes() -> None:
    board = json.loads(
        (ROOT / "deploy" / "observability" / "dashboards" / "programme.json").read_text()
    )
    urls = [
        target["url"]
        for panel in board["panels"]
        for target in panel.get("targets", [])
        if target.get("type") == "json"
    ]
    assert urls
    for url in urls:
        template = re.sub(r"\$(\w+)", r"{\1}", url)
        assert "get" in paths("registry").get(template, set()), url
