"""Each security check runs once per service in ``services.SERVICES``, on the real stack."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests.security.services import SERVICES, ServiceUnderTest
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack


@dataclass(frozen=True)
class RunningService:
    spec: ServiceUnderTest
    client: TestClient


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
            yield RunningService(spec, client)
    finally:
        asyncio.run(drop_database(stack, dsn))
