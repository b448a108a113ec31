"""The services of the authorization matrix, in-process: each on its own migrated database,
built and seeded by its world the first time it is asked for."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.auth import generate_dev_keypair
from tests.security.authz_matrix import Tokens
from tests.security.authz_worlds import WORLDS
from tests.security.authz_worlds.base import World
from tests.security.services import SERVICES
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack

# Generous limits: the matrix sends thousands of requests from a handful of callers.
LIMITS = {name: "1000000/minute" for name in ("reads", "writes", "bulk", "public")}


def settings(**values: Any) -> dict[str, Any]:
    return {
        "environment": "test",
        "database_pool_min_size": 1,
        "database_pool_max_size": 4,
        **{f"rate_limit_{name}": limit for name, limit in LIMITS.items()},
        **values,
    }


@functools.cache
def documents() -> dict[str, dict[str, Any]]:
    """Each service's document as its app serves it (building an app connects to nothing)."""
    _, public_pem = generate_dev_keypair()
    offline = settings(
        database_url="postgresql://matrix@127.0.0.1:1/matrix",
        kafka_bootstrap_servers="127.0.0.1:1",
        temporal_target="127.0.0.1:1",
        jwt_public_key=public_pem,
    )
    return {name: SERVICES[name]().create_app(offline).openapi() for name in sorted(WORLDS)}


class Matrix:
    """The services, each built and seeded the first time one of its operations runs."""

    def __init__(self, stack: Stack, topic_prefix: str, keys: tuple[str, str]) -> None:
        self.stack, self.topic_prefix, self.public_pem = stack, topic_prefix, keys[1]
        self.tokens = Tokens(keys[0], generate_dev_keypair()[0])
        self.running: dict[str, tuple[World, TestClient, str]] = {}
        self.broken: dict[str, str] = {}
        self.exits = contextlib.ExitStack()

    def service(self, name: str) -> tuple[World, TestClient, str]:
        if name in self.broken:  # its set-up failed once: the error is in the first test
            pytest.fail(f"{name} could not be set up: {self.broken[name]}")
        try:
            return self._service(name)
        except Exception as exc:
            self.broken[name] = repr(exc)[:500]
            raise

    def _service(self, name: str) -> tuple[World, TestClient, str]:
        if name not in self.running:
            spec = SERVICES[name]()
            dsn = asyncio.run(migrated_database(self.stack, f"matrix_{name}", spec.migrations_dir))
            self.exits.callback(lambda: asyncio.run(drop_database(self.stack, dsn)))
            if spec.prepare_database is not None:
                asyncio.run(spec.prepare_database(dsn))
            values = settings(
                database_url=dsn,
                kafka_bootstrap_servers=self.stack.kafka_bootstrap,
                kafka_topic_prefix=self.topic_prefix,
                temporal_target=self.stack.temporal_target,
                jwt_public_key=self.public_pem,
            )
            world = WORLDS[name](documents()[name])
            app = spec.create_app(values)
            world.prepare_app(app, dsn)
            client = self.exits.enter_context(TestClient(app, raise_server_exceptions=False))
            world.seed(client, self.tokens)
            self.running[name] = (world, client, dsn)
        return self.running[name]
