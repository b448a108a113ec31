"""Each security check runs once per service in ``services.SERVICES``, on the real stack."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.security.authz_running import Matrix
from tests.security.authz_running import settings as matrix_settings
from tests.security.services import SERVICES, ServiceUnderTest
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack


@dataclass(frozen=True)
class RunningService:
    spec: ServiceUnderTest
    client: TestClient
    dsn: str  # its migrated database, for checks that seed rows no route writes


@pytest.fixture(scope="module", params=sorted(SERVICES))
def service(
    request: pytest.FixtureRequest,
    stack: Stack,
    topic_prefix: str,
    signing_keys: tuple[str, str],
) -> Iterator[RunningService]:
    spec = SERVICES[request.param]()
    dsn = asyncio.run(migrated_database(stack, spec.name, spec.migrations_dir))
    if spec.prepare_database is not None:
        asyncio.run(spec.prepare_database(dsn))
    settings = {
        "environment": "test",
        "database_url": dsn,
        "kafka_bootstrap_servers": stack.kafka_bootstrap,
        "kafka_topic_prefix": topic_prefix,
        "temporal_target": stack.temporal_target,
        "jwt_public_key": signing_keys[1],
        # A module may set its own (the rate-limit checks use low limits; nothing else does).
        **getattr(request.module, "SETTINGS", {}),
    }
    try:
        with TestClient(spec.create_app(settings), raise_server_exceptions=False) as client:
            yield RunningService(spec, client, dsn)
    finally:
        asyncio.run(drop_database(stack, dsn))


@pytest.fixture(scope="session")
def matrix(stack: Stack, topic_prefix: str, signing_keys: tuple[str, str]) -> Iterator[Matrix]:
    """The four services with their worlds (``authz_worlds``), shared by the matrix, the found
    defects and the hostile-input checks; each is built the first time it is asked for."""
    running = Matrix(stack, topic_prefix, signing_keys)
    with running.exits:
        yield running


@pytest.fixture(scope="session")
def importing_registry(
    stack: Stack, topic_prefix: str, signing_keys: tuple[str, str]
) -> Iterator[tuple[TestClient, str]]:
    """A registry with an importer running beside it, on a database of its own (the upload
    checks), and that database."""
    from registry.config import RegistrySettings
    from tests.integration.registry.conftest import importer_thread

    spec = SERVICES["registry"]()
    dsn = asyncio.run(migrated_database(stack, "hostile_uploads", spec.migrations_dir))
    try:
        assert spec.prepare_database is not None
        asyncio.run(spec.prepare_database(dsn))
        values = matrix_settings(
            database_url=dsn,
            kafka_bootstrap_servers=stack.kafka_bootstrap,
            kafka_topic_prefix=topic_prefix,
            temporal_target=stack.temporal_target,
            jwt_public_key=signing_keys[1],
        )
        importer = RegistrySettings(**values, import_poll_interval_seconds=0.1)
        with importer_thread(importer), TestClient(spec.create_app(values)) as client:
            yield client, dsn
    finally:
        asyncio.run(drop_database(stack, dsn))


@pytest.fixture(scope="session")
def import_admin(token_for: Callable[..., str]) -> dict[str, str]:
    token = token_for(roles=["province_admin"], region_code="520000", subject="hostile")
    return {"Authorization": f"Bearer {token}"}


def claims(**extra: Any) -> dict[str, Any]:
    return {
        "sub": "security-tester",
        "iss": "ecom-local",
        "aud": "ecom-api",
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        **extra,
    }


@pytest.fixture
def sign(signing_keys: tuple[str, str]) -> Callable[..., dict[str, str]]:
    """Bearer headers for these claims, signed with the services' key (or ``private_key``)."""

    def headers(private_key: str | None = None, **extra: Any) -> dict[str, str]:
        token = jwt.encode(claims(**extra), private_key or signing_keys[0], algorithm="RS256")
        return {"Authorization": f"Bearer {token}"}

    return headers


def assert_problem(response: Response, *statuses: int) -> None:
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Idempotent-Replayed" not in response.headers


# Lines the security tests add to the end of the run's report (the matrix's size), shown
# whether or not the output is captured.
summary: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in summary:
        terminalreporter.write_line(line)
