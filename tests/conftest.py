"""Session-wide fixtures: the real stack, an isolated Kafka topic prefix, signing keys."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.support.stack import Stack, provide_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = str(item.fspath)
        if "/tests/integration/" in path:
            item.add_marker(pytest.mark.integration)
        elif "/tests/e2e/" in path:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def span_exporter() -> object:
    """Spans of this test process, kept in memory (the global provider can be set only once)."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from shared.telemetry import setup_telemetry

    exporter = InMemorySpanExporter()
    setup_telemetry("tests", extra_span_processors=[SimpleSpanProcessor(exporter)])
    return exporter


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with provide_stack() as provided:
        yield provided


@pytest.fixture(scope="session")
def topic_prefix(stack: Stack) -> Iterator[str]:
    """Every run writes to its own topics, so earlier runs' events never leak in; they are
    deleted when the session ends."""
    from tests.support.kafka import delete_topics_with_prefix

    prefix = f"t{uuid.uuid4().hex[:10]}."
    yield prefix
    asyncio.run(delete_topics_with_prefix(stack.kafka_bootstrap, prefix))


@pytest.fixture(scope="session")
def signing_keys() -> tuple[str, str]:
    from shared.auth import generate_dev_keypair

    return generate_dev_keypair()


@pytest.fixture(scope="session")
def token_for(signing_keys: tuple[str, str]) -> Callable[..., str]:
    from shared.auth import mint_token

    private_pem, _ = signing_keys

    def mint(
        *,
        roles: list[str],
        region_code: str | None = None,
        subject: str = "tester",
        **extra: object,
    ) -> str:
        return mint_token(
            private_key_pem=private_pem,
            subject=subject,
            roles=roles,
            region_code=region_code,
            issuer="ecom-local",
            audience="ecom-api",
            **extra,  # type: ignore[arg-type]
        )

    return mint
