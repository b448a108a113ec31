"""An API is ready while PostgreSQL answers: Kafka and Temporal outages are reported, not fatal
(writes go to the outbox; the relay publishes once Kafka is back)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from notifications.api.app import create_app
from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack

UNREACHABLE = "127.0.0.1:1"  # nothing listens on port 1


@pytest.fixture
def api_without_kafka_or_temporal(
    stack: Stack, signing_keys: tuple[str, str]
) -> Iterator[TestClient]:
    dsn = asyncio.run(migrated_database(stack, "readiness", MIGRATIONS_DIR))
    settings = NotificationsSettings(
        environment="test",
        database_url=dsn,
        kafka_bootstrap_servers=UNREACHABLE,
        temporal_target=UNREACHABLE,
        jwt_public_key=signing_keys[1],
    )
    try:
        with TestClient(create_app(settings)) as client:
            yield client
    finally:
        asyncio.run(drop_database(stack, dsn))


def test_kafka_and_temporal_down_still_ready(api_without_kafka_or_temporal: TestClient) -> None:
    response = api_without_kafka_or_temporal.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok"}
    assert body["informational"]["kafka"].startswith("failed")
    assert body["informational"]["temporal"].startswith("failed")


def test_database_down_is_not_ready(api_without_kafka_or_temporal: TestClient) -> None:
    pool = api_without_kafka_or_temporal.app.state.pool  # type: ignore[attr-defined]
    api_without_kafka_or_temporal.portal.call(pool.close)  # type: ignore[union-attr]
    response = api_without_kafka_or_temporal.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("failed")
