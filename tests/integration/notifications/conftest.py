"""Fixtures of the notifications integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from notifications.api.app import create_app
from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR
from tests.integration.notifications.support import SECRET
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def service(stack: Stack, signing_keys: tuple[str, str]) -> Iterator[tuple[TestClient, str]]:
    """The notifications API on its own migrated database (one per test module), and its DSN."""
    dsn = asyncio.run(migrated_database(stack, "notifications", MIGRATIONS_DIR))
    settings = NotificationsSettings(
        environment="test",
        database_url=dsn,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        temporal_target=stack.temporal_target,
        jwt_public_key=signing_keys[1],
        ack_secret=SECRET,
        allow_private_endpoints=True,
    )
    try:
        with TestClient(create_app(settings)) as client:
            yield client, dsn
    finally:
        asyncio.run(drop_database(stack, dsn))
