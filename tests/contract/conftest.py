"""Each service's real app (its lifespan, PostgreSQL and Kafka of the stack) served by uvicorn
on a free port, for schemathesis to drive through its own ``/openapi.json``."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from shared.service.one_write import OneWriteHttpToolsProtocol
from tests.contract.checks import CaseCounter
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack


@dataclass(frozen=True)
class ServedApi:
    base_url: str
    database_url: str


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app on 127.0.0.1 in a thread of its own (its own event loop), until the block ends."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        http=OneWriteHttpToolsProtocol,  # as run_api
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the app did not start (see the log above)")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


@contextlib.contextmanager
def service_api(
    stack: Stack,
    name: str,
    migrations_dir: Path,
    make_app: Callable[[dict[str, Any]], FastAPI],
    *,
    topic_prefix: str,
    public_key_pem: str,
    prepare: Callable[[str], Any] | None = None,
) -> Iterator[ServedApi]:
    dsn = asyncio.run(migrated_database(stack, f"contract_{name}", migrations_dir))
    try:
        if prepare is not None:
            asyncio.run(prepare(dsn))
        settings = {
            "environment": "test",
            "database_url": dsn,
            "kafka_bootstrap_servers": stack.kafka_bootstrap,
            "kafka_topic_prefix": topic_prefix,
            "temporal_target": stack.temporal_target,
            "jwt_public_key": public_key_pem,
            # schemathesis sends hundreds of requests a minute from one token
            "rate_limit_bulk": "100000/minute",
        }
        with served(make_app(settings)) as base_url:
            yield ServedApi(base_url, dsn)
    finally:
        asyncio.run(drop_database(stack, dsn))


# What each service's run sent, printed at the end of the run whether or not the output is
# captured: the cases that reached it (by status) and those stepped around as known defects.
REPORTS: list[str] = []


def report(name: str, counter: CaseCounter) -> None:
    statuses = dict(sorted(counter.statuses.items()))
    REPORTS.append(
        f"contract: {name} {counter.sent} cases sent ({counter.total} generated, "
        f"{sum(counter.stepped_around.values())} stepped around); statuses {statuses}"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in REPORTS:
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def bearer(token_for: Callable[..., str]) -> dict[str, str]:
    """A province administrator of Guizhou: the widest caller, so most routes get past scope."""
    token = token_for(roles=["province_admin"], region_code="520000", subject="contract")
    return {"Authorization": f"Bearer {token}"}
