"""The faults, each undone before the next: a broker killed and brought back, a replica of each
role killed and started again, PostgreSQL restarted as after a crash, Temporal killed and
restarted. Each is set off when a share of the reports has been acknowledged, so the short and
the full run see them at the same points of their load."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from tests.chaos.fleet import Fleet

log = logging.getLogger("chaos")

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "deploy" / "local" / "chaos" / "cluster.sh"


@dataclass
class Cluster:
    """The fault commands of ``deploy/local/chaos/cluster.sh``, with its environment."""

    env: dict[str, str]
    bootstrap: str

    def run(self, *args: str) -> None:
        result = subprocess.run(
            [str(CLUSTER), *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"cluster.sh {' '.join(args)}: {result.stderr[-2000:]}")

    async def active_controller(self) -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10_000)
        await admin.start()
        try:
            return int((await admin.describe_cluster())["controller_id"])
        finally:
            await admin.close()


@dataclass
class Fault:
    at: float  # share of the reports acknowledged when it starts
    name: str
    act: Callable[[], Awaitable[None]]


@dataclass
class FaultLog:
    entries: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def note(self, text: str) -> None:
        line = f"{time.monotonic() - self.started:6.1f} s  {text}"
        self.entries.append(line)
        log.info(line)


def broker_outage(
    cluster: Cluster, faults: FaultLog, until: Callable[[], bool]
) -> Callable[[], Awaitable[None]]:
    """kill -9 the broker that is the active controller (the harshest one to lose), keep it down
    until ``until()`` holds, then start it again."""

    async def act() -> None:
        broker = await cluster.active_controller()
        await asyncio.to_thread(cluster.run, "broker-kill", str(broker))
        faults.note(f"broker {broker} (active controller) killed with SIGKILL")
        while not until():
            await asyncio.sleep(0.5)
        await asyncio.to_thread(cluster.run, "broker-start", str(broker))
        faults.note(f"broker {broker} back")

    return act


def replica_cycle(
    fleet: Fleet,
    faults: FaultLog,
    roles: list[tuple[str, str]],
    down_seconds: float,
    before: Mapping[tuple[str, str], Callable[[], Awaitable[None]]] | None = None,
) -> Callable[[], Awaitable[None]]:
    """Each role's first replica in turn: SIGKILL, a pause, started again. ``before[role]``
    runs just before that role's replica is killed (work set going for it to be killed in)."""

    async def act() -> None:
        for service, role in roles:
            if before and (service, role) in before:
                await before[(service, role)]()
            # In a thread: waiting for the process to go, or forking its successor, must not
            # hold up the reporters' clients on this loop.
            await asyncio.to_thread(fleet.kill, service, role, 1)
            faults.note(f"{service} {role} replica 1 killed with SIGKILL")
            await asyncio.sleep(down_seconds)
            await asyncio.to_thread(fleet.start, service, role, 1)
            faults.note(f"{service} {role} replica 1 started again")

    return act


def postgres_restart(cluster: Cluster, faults: FaultLog) -> Callable[[], Awaitable[None]]:
    async def act() -> None:
        await asyncio.to_thread(cluster.run, "pg-restart")
        faults.note("PostgreSQL stopped (immediate) and started again")

    return act


def temporal_restart(
    cluster: Cluster,
    faults: FaultLog,
    down_seconds: float,
    while_down: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> Callable[[], Awaitable[None]]:
    """kill -9 the server, a pause, started again. ``while_down`` starts as soon as it is
    killed (its calls meet the server away) and is awaited once the server is back."""

    async def act() -> None:
        await asyncio.to_thread(cluster.run, "temporal-kill")
        faults.note("Temporal server killed with SIGKILL")
        during = asyncio.create_task(while_down()) if while_down is not None else None
        await asyncio.sleep(down_seconds)
        await asyncio.to_thread(cluster.run, "temporal-start")
        faults.note("Temporal server back (SERVING)")
        if during is not None:
            await during

    return act


async def run_faults(
    faults: list[Fault], progress: Callable[[], float], log_: FaultLog, stop: asyncio.Event
) -> None:
    """Each fault when the load reaches its share (or the load ended), one after another."""
    for fault in sorted(faults, key=lambda f: f.at):
        while progress() < fault.at and not stop.is_set():
            await asyncio.sleep(0.2)
        log_.note(f"fault: {fault.name} (at {progress():.0%} of the reports)")
        await fault.act()
