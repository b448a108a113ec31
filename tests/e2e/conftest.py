"""The services as real processes, on test ports, against fresh databases and test topics."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.support.databases import create_database, drop_database
from tests.support.processes import ServiceProcesses, service_env, wait_ready
from tests.support.stack import Stack

# E2E_PORT_BASE moves them, so that two checkouts on one machine can run their suites at once.
_BASE = int(os.environ.get("E2E_PORT_BASE", "18000"))
PORTS = {
    "registry": _BASE + 1,
    "submissions": _BASE + 2,
    "awards": _BASE + 3,
    "notifications": _BASE + 4,
}


@dataclass
class RunningServices:
    processes: dict[str, ServiceProcesses]
    database_urls: dict[str, str]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{PORTS[service]}"


@pytest.fixture(scope="session")
def services(
    stack: Stack, topic_prefix: str, signing_keys: tuple[str, str]
) -> Iterator[RunningServices]:
    _, public_pem = signing_keys
    roles = {"registry": ["api", "relay"], "notifications": ["api", "consumer"]}
    database_urls = {name: asyncio.run(create_database(stack, name)) for name in roles}
    running: dict[str, ServiceProcesses] = {}
    try:
        for name, service_roles in roles.items():
            processes = ServiceProcesses(
                name,
                service_env(
                    f"{name.upper()}_",
                    database_url=database_urls[name],
                    kafka=stack.kafka_bootstrap,
                    temporal=stack.temporal_target,
                    topic_prefix=topic_prefix,
                    port=PORTS[name],
                    public_key_pem=public_pem,
                ),
            )
            processes.migrate()
            for role in service_roles:
                processes.start(role)
            running[name] = processes
        for name in roles:
            wait_ready(f"http://127.0.0.1:{PORTS[name]}")
        yield RunningServices(running, database_urls)
    finally:
        for processes in running.values():
            processes.stop_all()
        for url in database_urls.values():
            asyncio.run(drop_database(stack, url))
