"""The short fault run of ``make test``: a three-broker cluster (replication factor 3, min ISR
2) of its own, two replicas of every relay and consumer of the four services, a few hundred
annual reports through the API, and the broker that is the active controller killed with
SIGKILL during them and brought back. Then: every acknowledged report stored once, every event
in Kafka and applied once by every consumer, the dead letters only the poison sent on purpose.

It reuses the stack's PostgreSQL (fresh databases) and Temporal; the full run, `make chaos`,
adds the workers and senders, reminders, PostgreSQL and Temporal restarts and 10,000 reports
(docs/chaos.md)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.faults import CLUSTER
from tests.chaos.fleet import SERVICES
from tests.chaos.scenario import Infra, Plan, run
from tests.support.databases import create_database, drop_database
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".local" / "chaos-test"
# Its own ports beside the stack's (the stack's broker stays up for the other tests).
PORT_OFFSET = "50"
REPORTS = int(os.environ.get("CHAOS_SHORT_REPORTS", "300"))

# Three brokers to start, a few hundred reports on a shared two-core machine, the settling.
pytestmark = pytest.mark.timeout(900)


def _cluster(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(CLUSTER), *args], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert result.returncode == 0, f"cluster.sh {args}: {result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def kafka_cluster() -> Iterator[tuple[str, dict[str, str]]]:
    env = {"CHAOS_DIR": str(WORK / "cluster"), "CHAOS_PORT_OFFSET": PORT_OFFSET}
    _cluster("reset", env=env)
    try:
        _cluster("kafka-up", env=env)
        _cluster("topics", env=env)
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in _cluster("env", env=env).splitlines()
        )
        yield exports["CHAOS_KAFKA_BOOTSTRAP_SERVERS"], env
    finally:
        _cluster("down", env=env)
        shutil.rmtree(WORK / "cluster", ignore_errors=True)


@pytest.fixture(scope="module")
def databases(stack: Stack) -> Iterator[dict[str, str]]:
    dsns = {s: asyncio.run(create_database(stack, f"chaos_{s}")) for s in SERVICES}
    yield dsns
    for dsn in dsns.values():
        asyncio.run(drop_database(stack, dsn))


def test_a_broker_killed_during_the_reports_loses_nothing_and_applies_nothing_twice(
    stack: Stack, kafka_cluster: tuple[str, dict[str, str]], databases: dict[str, str]
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
    infra = Infra(
        dsns=databases,
        bootstrap=bootstrap,
        temporal_target=stack.temporal_target,
        cluster_env=cluster_env,
        http_base=int(os.environ.get("CHAOS_HTTP_PORT", "18401")) + 5,
        work_dir=WORK,
    )
    outcome = asyncio.run(run(plan, infra))
    print(outcome.report())
    assert outcome.ok, outcome.report()
    assert any("killed" in entry for entry in outcome.faults.entries), outcome.report()
