"""An API served by ``run_api`` keeps the heap it started with out of full collections, and
gives it back when it stops; an app started any other way (tests, tools) leaves the collector
alone."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from notifications.api.app import create_app
from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR
from shared.service.heap import SERVING_YOUNG_THRESHOLD
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack


@pytest.fixture
def app(stack: Stack, signing_keys: tuple[str, str]) -> Iterator[FastAPI]:
    dsn = asyncio.run(migrated_database(stack, "heap_freeze", MIGRATIONS_DIR))
    settings = NotificationsSettings(
        environment="test",
        database_url=dsn,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        temporal_target="127.0.0.1:1",
        jwt_public_key=signing_keys[1],
    )
    try:
        yield create_app(settings)
    finally:
        asyncio.run(drop_database(stack, dsn))


def test_served_as_run_api_serves_it_the_start_is_frozen_and_thawed_at_stop(app: FastAPI) -> None:
    app.state.freeze_heap_on_start = True  # what run_api sets
    before = gc.get_threshold()
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 0
        # The youngest generation collected less often while it serves (shared.service.heap).
        assert gc.get_threshold() == (SERVING_YOUNG_THRESHOLD, *before[1:])
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_an_app_started_otherwise_leaves_the_collector_alone(app: FastAPI) -> None:
    before = gc.get_freeze_count()  # zero unless a relay runs in this process meanwhile
    thresholds = gc.get_threshold()
    with TestClient(app):
        assert gc.get_freeze_count() == before
        assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == before
