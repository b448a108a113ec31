"""The short fault run of ``make test``: a three-broker cluster (replication factor 3, min ISR
2) of its own, two replicas of every relay and consumer of the four services, a few hundred
annual reports through the API, and the broker that is the active controller killed with
SIGKILL during them and brought back. Then: every acknowledged report stored once, every event
in Kafka and applied once by every consumer, the dead letters only the poison sent on purpose.

It reuses the stack's PostgreSQL (fresh databases, dropped afterwards) and Temporal; its own
brokers, controllers and HTTP ports are free ports found at its start (never the stack's nor
fixed ones another checkout could use), its folder a temporary one, removed with every process
it started whether it passes or fails. It waits only by polling with deadlines. The full run,
``make chaos``, adds the workers and senders, reminders, rewards, PostgreSQL and Temporal
restarts and 10,000 reports (docs/chaos.md); it is not collected here."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.chaos.faults import CLUSTER
from tests.chaos.fleet import SERVICES
from tests.chaos.scenario import Infra, Plan, run
from tests.support.databases import create_database, drop_database
from tests.support.stack import Stack

REPORTS = int(os.environ.get("CHAOS_SHORT_REPORTS", "300"))

# Three brokers to start, a dozen service processes and a few hundred reports on a shared
# two-core machine, the settling: about two minutes on a quiet one, ten when the machine is
# loaded many times over.
pytestmark = pytest.mark.timeout(900)


def free_ports(count: int) -> list[int]:
    """Ports the system has just handed out, all held until every one is known (so they are
    distinct), then released for the processes to bind."""
    with ExitStack() as held:
        sockets = []
        for _ in range(count):
            s = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]


def _cluster(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(CLUSTER), *args], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, f"cluster.sh {args}: {result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def work_dir() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="chaos-short-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def kafka_cluster(work_dir: Path) -> Iterator[tuple[str, dict[str, str]]]:
    ports = free_ports(6)
    env = {
        "CHAOS_DIR": str(work_dir / "cluster"),
        "CHAOS_KAFKA_PORTS": ",".join(map(str, ports[:3])),
        "CHAOS_CONTROLLER_PORTS": ",".join(map(str, ports[3:])),
    }
    try:
        _cluster("kafka-up", env=env)
        _cluster("topics", env=env)
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in _cluster("env", env=env).splitlines()
        )
        yield exports["CHAOS_KAFKA_BOOTSTRAP_SERVERS"], env
    finally:
        # The brokers, and any service process of the run still alive (their pids are in the
        # cluster's run folder).
        _cluster("down", env=env)


@pytest.fixture(scope="module")
def databases(stack: Stack) -> Iterator[dict[str, str]]:
    dsns: dict[str, str] = {}
    try:
        for service in SERVICES:
            dsns[service] = asyncio.run(create_database(stack, f"chaos_{service}"))
        yield dsns
    finally:
        for dsn in dsns.values():
            asyncio.run(drop_database(stack, dsn))


def test_a_broker_killed_during_the_reports_loses_nothing_and_applies_nothing_twice(
    stack: Stack,
    kafka_cluster: tuple[str, dict[str, str]],
    databases: dict[str, str],
    work_dir: Path,
) -> None:
    bootstrap, cluster_env = kafka_cluster
    plan = Plan(
        reports=REPORTS,
        clients=16,
        roles={
            "registry": ("relay", "consumer"),
            "submissions": ("relay", "consumer"),
            "awards": ("relay", "consumer"),
            "notifications": ("relay", "consumer"),
        },
        reminders=False,
        rewarded=0,
        broker_outage=(0.15, 0.6),
        replica_faults=False,
        postgres_restart_at=None,
        temporal_restart_at=None,
        settle_seconds=240,
    )
    http = free_ports(len(SERVICES) + 1)
    infra = Infra(
        dsns=databases,
        bootstrap=bootstrap,
        temporal_target=stack.temporal_target,
        cluster_env=cluster_env,
        http_base=0,
        http_ports={**dict(zip(SERVICES, http, strict=False)), "receiver": http[-1]},
        work_dir=work_dir,
    )
    outcome = asyncio.run(run(plan, infra))
    print(outcome.report())
    assert outcome.ok, outcome.report() + _log_tails(work_dir / "logs")
    assert any("killed" in entry for entry in outcome.faults.entries), outcome.report()


def _log_tails(directory: Path, lines: int = 15) -> str:
    """The end of every process's log: the folder is removed after the test."""
    out = []
    for path in sorted(directory.glob("*.log")):
        tail = path.read_text("utf-8", "replace").splitlines()[-lines:]
        out.append(f"\n--- {path.name}\n" + "\n".join(tail))
    return "".join(out)
