"""The notifications inbox refuses a NUL in ``subject_id`` (it gave a 500 from PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from notifications.api.app import create_app
from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def inbox_api(
    stack: Stack, topic_prefix: str, signing_keys: tuple[str, str]
) -> Iterator[TestClient]:
    dsn = asyncio.run(migrated_database(stack, "notifications", MIGRATIONS_DIR))
    settings = NotificationsSettings(
        environment="test",
        database_url=dsn,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        kafka_topic_prefix=topic_prefix,
        temporal_target=stack.temporal_target,
        jwt_public_key=signing_keys[1],
    )
    try:
        with TestClient(create_app(settings)) as client:
            yield client
    finally:
        asyncio.run(drop_database(stack, dsn))


def test_a_nul_in_subject_id_is_a_422(inbox_api: TestClient, token_for: Callable[..., str]) -> None:
    token = token_for(roles=["city_bureau"], region_code="520100")
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        inbox_api.get("/v1/inbox", params={"subject_id": "E-1"}, headers=headers).status_code == 200
    )
    response = inbox_api.get("/v1/inbox", params={"subject_id": "E-\x001"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "query.subject_id"
