"""A registry API on a fresh, migrated database (regions loaded), driven in-process."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.api.app import create_app
from registry.bootstrap import run_importer
from registry.config import RegistrySettings
from registry.data.regions import load_country_regions
from registry.db import MIGRATIONS_DIR
from registry.db.regions import sync_regions
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack


@pytest.fixture(scope="module")
def registry_db(stack: Stack) -> Iterator[str]:
    dsn = asyncio.run(migrated_database(stack, "registry", MIGRATIONS_DIR))
    asyncio.run(sync_regions(dsn, load_country_regions()))
    yield dsn
    asyncio.run(drop_database(stack, dsn))


@pytest.fixture(scope="module")
def registry_settings(
    registry_db: str, stack: Stack, topic_prefix: str, signing_keys: tuple[str, str]
) -> Callable[..., RegistrySettings]:
    """Settings for a registry API on the module's database; keyword arguments override."""

    def settings(**overrides: Any) -> RegistrySettings:
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": registry_db,
            "kafka_bootstrap_servers": stack.kafka_bootstrap,
            "kafka_topic_prefix": topic_prefix,
            "temporal_target": stack.temporal_target,
            "jwt_public_key": signing_keys[1],
        }
        return RegistrySettings(**(values | overrides))

    return settings


@pytest.fixture(scope="module")
def registry_api(registry_settings: Callable[..., RegistrySettings]) -> Iterator[TestClient]:
    with TestClient(create_app(registry_settings())) as client:
        yield client


@pytest.fixture(scope="module")
def auth(token_for: Callable[..., str]) -> Callable[..., dict[str, str]]:
    def headers(
        role: str = "province_admin", region: str | None = "520000", **extra: object
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(roles=[role], region_code=region, **extra)}"}

    return headers


@contextlib.contextmanager
def importer_thread(settings: RegistrySettings) -> Iterator[None]:
    """The importer role's loop on its own event loop, until the block ends."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(
        target=loop.run_until_complete, args=(run_importer(settings, stop, "test-importer"),)
    )
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=60)
        loop.close()


@pytest.fixture(scope="module")
def running_importer(registry_settings: Callable[..., RegistrySettings]) -> Iterator[None]:
    with importer_thread(registry_settings(import_poll_interval_seconds=0.1)):
        yield
