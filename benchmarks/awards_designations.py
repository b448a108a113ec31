"""Dynamic management at scale (ISSUE-12): 10,000 designation workflows, then the yearly
evaluation triggered for all of them (the ``evaluate`` signal the window's lock sends), timed
until every decision is written; against 10,000 no-op workflows started, sent the same signal
and completed on the same Temporal server (ratio printed, goal ≤ 1.5), and the workers' peak
memory. The baseline asks the server for what the evaluation asks (a start and a signal per
workflow); before, it only started and completed workflows, so the ratio also counted the
signals' round trips against the designations.

``BENCH_AWARDS_DESIGNATIONS`` scales it down; ``BENCH_AWARDS_WORKERS`` (default 1: "the
worker" of the issue) is the number of worker processes on each side: as many real
``python -m awards worker`` processes as no-op worker processes (one task queue each side), so
the ratio compares like with like. On a two-core machine a second awards worker takes the cores
the server and PostgreSQL need (docs/awards.md has both figures). The time-skipping test
server runs both (a private server: nothing is left on the shared one), with time skipping off,
warmed by a first round of no-op workflows and the awards worker by a first round of
designations, neither timed. Both sides then run ``BENCH_AWARDS_REPEATS`` times (default 3),
alternating which goes first, and the medians are reported (one run of each printed ratios from
0.42 to 1.65 as the machine's load moved between the sides); peak resident memory (VmHWM) is
read from /proc for each worker process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from awards.db import MIGRATIONS_DIR
from awards.handlers.standing import with_first_plan
from awards.handlers.standing_reports import signal_evaluation
from awards.workflows.designation import DesignationWorkflow
from awards.workflows.types import DesignationStart, designation_workflow_id
from benchmarks import results
from benchmarks.common import (
    drop_database,
    free_port,
    fresh_database,
    kafka_bootstrap,
    peak_memory_kib,
)
from benchmarks.noop_workflow import NoopSignalledWorkflow, NoopWorkflow
from benchmarks.registry_writes import cpu_seconds
from shared.programmes import load_programmes
from shared.temporal import data_converter
from tests.support.time_skipping import pinned_environment

DESIGNATIONS = int(os.environ.get("BENCH_AWARDS_DESIGNATIONS", "10000"))
WORKERS = int(os.environ.get("BENCH_AWARDS_WORKERS", "1"))
YEAR = 2027
CONCURRENCY = 64
WARM_UP = 2000
# Designations evaluated off the clock first (the worker's sandbox and pool warm up).
WARM_DESIGNATIONS = min(500, DESIGNATIONS)
# Both sides measured this many times, alternating which goes first; the medians are reported.
REPEATS = int(os.environ.get("BENCH_AWARDS_REPEATS", "3"))
ROOT = Path(__file__).resolve().parents[1]
GUIZHOU = "guizhou-shibaiqianwan-2023"
TASK_QUEUE = "awards-applications"  # the worker role serves this queue (a private server)


def _programmes_running_on(directory: Path) -> Path:
    """Guizhou's file with its annual report running to 2030 (the shipped one ends in 2025)."""
    text = (ROOT / "shared" / "programmes" / "guizhou-shibaiqianwan-2023.yaml").read_text("utf-8")
    text = text.replace("  end: 2025-12-31\n\ntargets:", "  end: 2030-12-31\n\ntargets:")
    text = text.replace("    last_year: 2025\n", "    last_year: 2030\n")
    (directory / "guizhou.yaml").write_text(text, encoding="utf-8")
    return directory


def with_bytecode(cache: Path) -> dict[str, str]:
    """Both sides run with compiled bytecode, as the images do (``UV_COMPILE_BYTECODE``): the
    workflow sandbox imports the workflow's module afresh for every workflow it builds, and the
    development shell's ``PYTHONDONTWRITEBYTECODE`` would make that a compile from source each
    time (a fifth of the worker's time). A private cache folder: the checkout stays clean."""
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(cache)
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return environment | {"PYTHONPYCACHEPREFIX": str(cache)}


async def _seed(dsn: str, count: int) -> list[str]:
    ids = [uuid.uuid4() for _ in range(count)]
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "applications",
            columns=["id", "workflow_id", "programme_id", "year", "category", "entity_type",
                     "entity_id", "entity_name", "region_code", "stage", "submitted_by"],
            records=[(i, f"wf-{i}", GUIZHOU, 2026, "base", "park", f"park-{i}", "基地",
                      "520302", "designated", "bench") for i in ids],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "designations",
            columns=["id", "application_id", "programme_id", "year", "category", "entity_type",
                     "entity_id", "entity_name", "region_code", "title", "designated_on",
                     "legal_basis", "recommended_for_national"],
            records=[(i, i, GUIZHOU, 2026, "base", "park", f"park-{i}", "基地", "520302",
                      "示范基地", dt.date(2026, 12, 1), "黔商发〔2023〕1号", False)
                     for i in ids],
        )  # fmt: skip
    finally:
        await connection.close()
    return [str(i) for i in ids]


async def _gathered(count: int, make: object) -> list[object]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> object:
        async with gate:
            return await make(n)  # type: ignore[operator]

    return await asyncio.gather(*(one(n) for n in range(count)))


async def _noop_worker(target: str, queue: str) -> None:
    """One no-op worker process (the baseline's counterpart of ``python -m awards worker``):
    says ``ready`` once polling, stops on SIGTERM."""
    client = await Client.connect(target, data_converter=data_converter)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(client, task_queue=queue, workflows=[NoopWorkflow, NoopSignalledWorkflow]):
        print("ready", flush=True)
        await stop.wait()


async def _stop(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), 40)
        except TimeoutError:
            process.kill()
            await process.wait()


class _NoopSide:
    """The baseline: as many no-op worker processes as awards workers, on one queue."""

    def __init__(self, client: Client, env: dict[str, str]) -> None:
        self.client = client
        self.env = env
        self.queue = f"bench-noop-{uuid.uuid4().hex[:6]}"
        self.workers: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        target = self.client.service_client.config.target_host
        for _ in range(WORKERS):
            worker = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.awards_designations",
                "noop-worker",
                target,
                self.queue,
                env=self.env,
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            self.workers.append(worker)
            if worker.stdout is None or (await worker.stdout.readline()).strip() != b"ready":
                raise SystemExit("a no-op worker did not start")

        async def warm(_: int) -> object:
            handle = await self.client.start_workflow(
                NoopWorkflow.run, id=f"noop-{uuid.uuid4()}", task_queue=self.queue
            )
            return await handle.result()

        # The server warms up first (its JIT), so that neither side pays for it.
        await _gathered(WARM_UP, warm)

    async def measure(self) -> float:
        """As the evaluation is timed: every workflow started, then every one signalled (the
        same signal, the same concurrency), until every one has done what it was told."""
        client, queue = self.client, self.queue
        ids = [f"noop-{uuid.uuid4()}" for _ in range(DESIGNATIONS)]
        started = time.perf_counter()
        handles: list[Any] = await _gathered(
            DESIGNATIONS,
            lambda n: client.start_workflow(NoopSignalledWorkflow.run, id=ids[n], task_queue=queue),
        )
        await _gathered(
            DESIGNATIONS, lambda n: handles[n].signal(NoopSignalledWorkflow.evaluate, YEAR)
        )
        await _gathered(DESIGNATIONS, lambda n: handles[n].result())
        return time.perf_counter() - started

    def peaks(self) -> list[int]:
        return [peak_memory_kib(worker.pid) for worker in self.workers]


def _mib(peaks: list[int]) -> str:
    each = "+".join(f"{kib / 1024:.0f}" for kib in peaks)
    return f"{each} = {sum(peaks) / 1024:.0f} MiB" if len(peaks) > 1 else f"{each} MiB"


async def _decided(dsn: str, count: int) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        while await connection.fetchval("SELECT count(*) FROM designation_standing") < count:
            await asyncio.sleep(0.2)
    finally:
        await connection.close()


async def main() -> None:
    dsn = await fresh_database("awards", MIGRATIONS_DIR)
    programmes = _programmes_running_on(Path(tempfile.mkdtemp(prefix="bench-programmes-")))
    bytecode = Path(tempfile.mkdtemp(prefix="bench-bytecode-"))
    try:
        all_ids = await _seed(dsn, WARM_DESIGNATIONS + DESIGNATIONS * REPEATS)
        warm_ids, ids = all_ids[:WARM_DESIGNATIONS], all_ids[WARM_DESIGNATIONS:]
        runs: list[tuple[float, float, int]] = []
        noop_runs: list[float] = []
        ratios: list[float] = []
        async with pinned_environment() as environment:
            client = environment.client
            bytecode_env = with_bytecode(bytecode)
            env = {
                **bytecode_env,
                "AWARDS_DATABASE_URL": dsn,
                "AWARDS_TEMPORAL_TARGET": client.service_client.config.target_host,
                "AWARDS_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap(),
                "AWARDS_KAFKA_TOPIC_PREFIX": f"bench{uuid.uuid4().hex[:8]}.",
                "AWARDS_PROGRAMMES_DIR": str(programmes),
                "PROGRAMMES_DIR": str(programmes),
            }
            workers = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "awards",
                    "worker",
                    env=env | {"AWARDS_LIVENESS_PORT": str(free_port())},
                )
                for _ in range(WORKERS)
            ]
            # The workers stop before the server does (else they retry their shutdown calls).
            noop = _NoopSide(client, bytecode_env)
            try:
                with environment.auto_time_skipping_disabled():
                    await noop.start()
                    guizhou = load_programmes(programmes)[GUIZHOU]
                    evaluated = 0

                    async def evaluation(batch: list[str]) -> tuple[float, float, int]:
                        """Every designation of ``batch`` started, then signalled, until its
                        decision is written: (seconds to start, seconds in all, signalled)."""
                        nonlocal evaluated
                        started = time.perf_counter()
                        await _gathered(
                            len(batch),
                            lambda n: client.start_workflow(
                                DesignationWorkflow.run,
                                # as the starter activity starts it (start_designation_lifecycle)
                                with_first_plan(
                                    DesignationStart(
                                        designation_id=batch[n], programme_id=GUIZHOU,
                                        category="base", year=YEAR,
                                    ),
                                    guizhou,
                                ),
                                id=designation_workflow_id(batch[n]),
                                task_queue=TASK_QUEUE,
                            ),
                        )  # fmt: skip
                        started_seconds = time.perf_counter() - started
                        signalled = await signal_evaluation(
                            client, batch, YEAR, concurrency=CONCURRENCY
                        )
                        evaluated += len(batch)
                        await _decided(dsn, evaluated)
                        return started_seconds, time.perf_counter() - started, signalled

                    # The awards worker's sandbox and pool warm up off the clock, as the server
                    # did on the no-op side.
                    await evaluation(warm_ids)
                    cpu_before = cpu_seconds([worker.pid for worker in workers])
                    for repeat in range(REPEATS):
                        batch = ids[repeat * DESIGNATIONS : (repeat + 1) * DESIGNATIONS]
                        # Alternating which side goes first: a change in the machine's load
                        # during a repeat falls on both sides across the repeats.
                        if repeat % 2 == 0:
                            noop_runs.append(await noop.measure())
                            runs.append(await evaluation(batch))
                        else:
                            runs.append(await evaluation(batch))
                            noop_runs.append(await noop.measure())
                        ratios.append(runs[-1][1] / noop_runs[-1])
                    noop_peaks = noop.peaks()
                peaks = [peak_memory_kib(worker.pid) for worker in workers]
                cpu_after = cpu_seconds([worker.pid for worker in workers])
                worker_cpu = sum(v - cpu_before.get(pid, 0.0) for pid, v in cpu_after.items())
            finally:
                await _stop(noop.workers)
                await _stop(workers)
        started_seconds = statistics.median(run[0] for run in runs)
        total_seconds = statistics.median(run[1] for run in runs)
        signalled = min(run[2] for run in runs)
        noop_seconds = statistics.median(noop_runs)
        ratio = statistics.median(ratios)
        print(
            f"awards_designations: {WORKERS} worker(s) each side, {os.cpu_count()} cores; "
            f"{REPEATS} repeats of {DESIGNATIONS} (medians): designation workflows started in "
            f"{started_seconds:.1f} s, {signalled} signalled and all evaluated after "
            f"{total_seconds:.1f} s; {DESIGNATIONS} no-op workflows in {noop_seconds:.1f} s; "
            f"ratio {ratio:.2f} (goal ≤ 1.5; each repeat: "
            f"{', '.join(f'{r:.2f}' for r in ratios)}); "
            f"awards worker peak RSS {_mib(peaks)}; no-op worker peak RSS {_mib(noop_peaks)}"
        )
        results.record(
            "awards_designations",
            f"yearly evaluation {DESIGNATIONS:,} / no-op signalled",
            ours=f"{total_seconds:.1f} s",
            baseline=f"{noop_seconds:.1f} s",
            ratio=ratio,
            goal="<= 1.5",
            passed=ratio <= 1.5,
            peak_mib=sum(peaks) / 1024,
            cpu_ms=worker_cpu / (DESIGNATIONS * REPEATS) * 1000,
        )
    finally:
        await drop_database(dsn)
        shutil.rmtree(programmes, ignore_errors=True)
        shutil.rmtree(bytecode, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["noop-worker"]:
        asyncio.run(_noop_worker(sys.argv[2], sys.argv[3]))
        # Out without the interpreter's finalization: the Temporal client's native threads can
        # still be letting go of the GIL then, which aborts the process with a fatal error.
        sys.stdout.flush()
        os._exit(0)
    else:
        asyncio.run(main())
