"""What the benchmarks share: the stack's endpoints, throwaway databases and API processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

import asyncpg
import httpx
from aiokafka.admin import AIOKafkaAdminClient

from shared.db.migrate import migrate


def admin_dsn() -> str:
    return os.environ["STACK_DATABASE_ADMIN_URL"]


def kafka_bootstrap() -> str:
    return os.environ["STACK_KAFKA_BOOTSTRAP_SERVERS"]


async def fresh_database(prefix: str, service_migrations: Path) -> str:
    name = f"bench_{prefix}_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(admin_dsn())
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    dsn = admin_dsn().rsplit("/", 1)[0] + f"/{name}"
    migrate(dsn, service_migrations)
    return dsn


async def drop_database(dsn: str) -> None:
    connection = await asyncpg.connect(admin_dsn())
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{dsn.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def delete_topics(prefix: str) -> None:
    """Delete the topics a benchmark created (all start with its own prefix)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap())
    await admin.start()
    try:
        topics = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()


def submissions_env(dsn: str, public_pem: str, prefix: str, pool_size: int) -> dict[str, str]:
    """The settings of a submissions API on ``dsn`` and the stack's Kafka and Temporal."""
    return {
        "SUBMISSIONS_ENVIRONMENT": "test",
        "SUBMISSIONS_DATABASE_URL": dsn,
        "SUBMISSIONS_DATABASE_POOL_MAX_SIZE": str(pool_size),
        "SUBMISSIONS_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap(),
        "SUBMISSIONS_KAFKA_TOPIC_PREFIX": prefix,
        "SUBMISSIONS_TEMPORAL_TARGET": os.environ.get("STACK_TEMPORAL_TARGET", "127.0.0.1:7233"),
        "SUBMISSIONS_JWT_PUBLIC_KEY": public_pem,
    }


def start_api_process(
    args: list[str], env: Mapping[str, str], *, port: int, name: str
) -> subprocess.Popen[bytes]:
    """Runs ``python args`` with ``env`` over this process's environment and waits (three
    minutes at most) until its ``/healthz`` on ``port`` answers 200; kills it and raises otherwise."""
    process = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180  # a loaded machine can take minutes to start a process
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                attach_profiler(process.pid, name)
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"the {name} API did not start")


# py-spy samplers attached to API processes (BENCH_PYSPY=<folder>); each stops when its
# process ends and is waited for before the run exits, so its output is complete.
PROFILERS: list[subprocess.Popen[bytes]] = []


def attach_profiler(pid: int, name: str) -> None:
    """With ``BENCH_PYSPY=<folder>``, samples ``pid`` with py-spy until it exits and writes
    ``<folder>/<name>-<pid>.txt`` (collapsed stacks: ``flamegraph.pl`` or speedscope read them).
    Attaching from outside leaves the process (and its pid, which the CPU figures read) as is."""
    folder = os.environ.get("BENCH_PYSPY")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    PROFILERS.append(
        subprocess.Popen(
            [
                "py-spy",
                "record",
                "--pid",
                str(pid),
                "--rate",
                "250",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(Path(folder) / f"{name}-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )


def wait_for_profilers() -> None:
    for profiler in PROFILERS:
        try:
            profiler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            profiler.terminate()
    PROFILERS.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def peak_memory_kib(pid: int) -> int:
    """A process's peak resident memory (VmHWM), read from /proc while it runs."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
