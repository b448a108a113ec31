"""Applications driven from submission to designation through the REST API, against the same
number of updates sent to as many no-op workflows on the same Temporal server (ratio printed,
goal <= 3; p95 per step <= 150 ms), and the worker's peak memory. The baseline used to be
empty workflows started and completed, which left every step's update out of it (about 12 per
application) and printed ratios above 100.

1,000 applications (``BENCH_AWARDS_APPLICATIONS`` to change it). The time-skipping test server
runs both, its clock pinned to November 2026 whatever the date, so that the round is open and
its public notice falls in a year the working-day calendar covers; the notice passes in steps
of skipped time. The worker is the real ``python -m awards worker`` process, and its peak
resident memory (VmHWM) is read from /proc before it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
import uuid
from datetime import UTC, timedelta
from datetime import datetime as dt_datetime
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from temporalio.worker import Worker

from awards.api.app import create_app
from awards.bootstrap import TemporalConnection
from awards.config import AwardsSettings
from awards.db import MIGRATIONS_DIR, queries
from benchmarks import results
from benchmarks.awards_designations import with_bytecode
from benchmarks.common import (
    attach_profiler,
    drop_database,
    free_port,
    fresh_database,
    kafka_bootstrap,
    peak_memory_kib,
    percentile,
)
from benchmarks.noop_workflow import NoopUpdatedWorkflow
from benchmarks.registry_writes import cpu_seconds, database_backends
from shared.auth import generate_dev_keypair, mint_token
from shared.programmes import load_programmes
from shared.service.heap import frozen_startup_heap
from tests.support.time_skipping import PINNED_START, clock_from, pinned_environment, skip_to

APPLICATIONS = int(os.environ.get("BENCH_AWARDS_APPLICATIONS", "1000"))
CONCURRENCY = 16
FREEZE = os.environ.get("BENCH_GC_FREEZE", "1") == "1"
SUBMIT_RETRIES = 5
EXPERTS = 12
ROOT = Path(__file__).resolve().parents[1]
GUIZHOU = "guizhou-shibaiqianwan-2023"


def _programmes_open_now(directory: Path) -> Path:
    """Guizhou's file with a 2026 round open all year (the shipped rounds ended in 2025)."""
    text = (ROOT / "shared" / "programmes" / "guizhou-shibaiqianwan-2023.yaml").read_text("utf-8")
    text = text.replace("  end: 2025-12-31\n\ntargets:", "  end: 2027-12-31\n\ntargets:")
    text = text.replace(
        "    overrides: []\n    category_rules:",
        "    overrides:\n      - {year: 2026, opens_on: 2026-01-01, closes_on: 2026-12-31,"
        " city_review_due_on: 2026-12-31}\n    category_rules:",
    )
    (directory / "guizhou.yaml").write_text(text, encoding="utf-8")
    return directory


async def _seed(dsn: str, count: int) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        for n in range(count):
            await connection.execute(
                queries.UPSERT_ENTITY, "park", f"park-{n}", f"直播基地{n}", "520302",
                "live_base", f"ent-{n}", None,
            )  # fmt: skip
        for n in range(EXPERTS):
            await connection.execute(
                queries.UPSERT_EXPERT, f"e-{n}", f"专家{n}", "520100", [], True
            )
    finally:
        await connection.close()


def _descendants(root: int) -> list[int]:
    """The processes under ``root`` (the time-skipping server its launcher started, the worker)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: list[int] = []
    level = [root]
    while level:
        level = [pid for pid, parent in parents.items() if parent in level]
        found.extend(level)
    return found


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class CpuSplit:
    """CPU seconds spent meanwhile by the benchmark process (the API in process, its Temporal
    client and the HTTP client), the worker, the database's backends and the Temporal server."""

    def __init__(self, dsn: str | None, worker: int | None) -> None:
        self.dsn, self.worker = dsn, worker

    async def _read(self) -> dict[str, dict[int, float]]:
        own = os.getpid()
        server = [pid for pid in _descendants(own) if pid != self.worker and _name(pid) != "py-spy"]
        backends = await database_backends(self.dsn) if self.dsn else []
        return {
            "api": {own: time.process_time()},
            "worker": cpu_seconds([self.worker]) if self.worker else {},
            "database": cpu_seconds(backends),
            "server": cpu_seconds(server),
        }

    async def __aenter__(self) -> CpuSplit:
        self.before = await self._read()
        return self

    async def __aexit__(self, *exc: object) -> None:
        after = await self._read()
        self.seconds = {
            part: sum(used - self.before[part].get(pid, 0.0) for pid, used in pids.items())
            for part, pids in after.items()
        }

    def per_op_ms(self, ops: int) -> str:
        return ", ".join(
            f"{part} {used / ops * 1000:.2f} ms" for part, used in self.seconds.items()
        )


async def _drive(
    client: httpx.AsyncClient,
    sign: Any,
    n: int,
    card: dict[str, str],
    steps: dict[str, list[float]],
    retried: list[int],
) -> str:
    operator = sign(roles=["operator"], enterprise_ids=[f"ent-{n}"])
    body = {
        "programme_id": GUIZHOU, "year": 2026, "category": "base", "entity_type": "park",
        "entity_id": f"park-{n}",
        "materials": {"application_form": {"name": f"直播基地{n}"}, "written_application": "申报书"},
    }  # fmt: skip
    created = await client.post("/v1/applications", json=body, headers=operator)
    for _ in range(SUBMIT_RETRIES):
        # The time-skipping test server sometimes fails an update-with-start with a
        # NullPointerException (its waitForUpdateResponse) when many arrive at once; the API
        # answers 503 and a client retries with the same Idempotency-Key, as this one does.
        if created.status_code != 503:
            break
        retried.append(n)
        await asyncio.sleep(float(created.headers.get("Retry-After", "1")))
        created = await client.post("/v1/applications", json=body, headers=operator)
    created.raise_for_status()
    application_id = str(created.json()["id"])
    city = {"roles": ["city_bureau"], "region_code": "520300"}
    province = {"roles": ["province_admin"], "region_code": "520000"}

    async def step(claims: dict[str, Any], **body: Any) -> dict[str, Any]:
        headers = sign(**claims)
        started = time.perf_counter()
        response = await client.post(
            f"/v1/applications/{application_id}/steps", json=body, headers=headers
        )
        steps.setdefault(body["action"], []).append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{body.get('action')}: {response.status_code} {response.text}")
        result: dict[str, Any] = response.json()
        return result

    await step(city, action="city_recommend", rank=n + 1)
    await step(province, action="record_document_review", passed=True)
    await step(province, action="schedule_site_visit", visit_on="2026-12-01")
    await step(province, action="record_site_visit", passed=True)
    panel = (await step(province, action="assign_experts"))["panel"]
    for expert in panel:
        await step({"roles": ["expert"], "subject": expert}, action="score", scores=card)
    decided = await step(province, action="decide", approve=True)
    return str(decided["notice_last_day"])


async def _noop_updates(environment: Any, updates: int) -> tuple[float, CpuSplit]:
    """The baseline: as many workflows as applications, started with the same concurrency, each
    sent its share of ``updates`` (as many as the applications' steps, one after another, as a
    caller's steps are) by the Temporal client, then told to finish; an in-process worker."""
    queue = f"bench-noop-{uuid.uuid4().hex[:6]}"
    per_application = [
        updates // APPLICATIONS + (n < updates % APPLICATIONS) for n in range(APPLICATIONS)
    ]
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> None:
        async with limit:
            handle = await environment.client.start_workflow(
                NoopUpdatedWorkflow.run, id=f"noop-{uuid.uuid4()}", task_queue=queue
            )
            for _ in range(per_application[n]):
                await handle.execute_update(NoopUpdatedWorkflow.step, {"action": "bench"})
            await handle.signal(NoopUpdatedWorkflow.finish)
            await handle.result()

    with environment.auto_time_skipping_disabled():  # no timers: nothing to skip
        async with Worker(environment.client, task_queue=queue, workflows=[NoopUpdatedWorkflow]):
            # Warmed up as the measured side is: one workflow and update off the clock.
            warm_up = await environment.client.start_workflow(
                NoopUpdatedWorkflow.run, id=f"noop-{uuid.uuid4()}", task_queue=queue
            )
            await warm_up.execute_update(NoopUpdatedWorkflow.step, {"action": "bench"})
            await warm_up.signal(NoopUpdatedWorkflow.finish)
            await warm_up.result()
            async with CpuSplit(None, None) as cpu:
                started = time.perf_counter()
                await asyncio.gather(*(one(n) for n in range(APPLICATIONS)))
                seconds = time.perf_counter() - started
            return seconds, cpu


async def main() -> None:
    dsn = await fresh_database("awards", MIGRATIONS_DIR)
    private_pem, public_pem = generate_dev_keypair()
    worker_process: asyncio.subprocess.Process | None = None
    try:
        await _seed(dsn, APPLICATIONS + 1)
        async with pinned_environment() as environment:
            target = environment.client.service_client.config.target_host
            prefix = f"bench{uuid.uuid4().hex[:8]}."
            env = {
                # The sandbox imports each workflow's module afresh per workflow (both sides):
                # from compiled bytecode, as the images run, not compiled from source each time.
                **with_bytecode(Path(tempfile.mkdtemp(prefix="bench-bytecode-"))),
                "AWARDS_DATABASE_URL": dsn,
                "AWARDS_TEMPORAL_TARGET": target,
                "AWARDS_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap(),
                "AWARDS_KAFKA_TOPIC_PREFIX": prefix,
                "AWARDS_LIVENESS_PORT": str(free_port()),
                "AWARDS_HTTP_HOST": "127.0.0.1",
            }
            worker_process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "awards", "worker", env=env
            )
            attach_profiler(worker_process.pid, "awards-worker")

            programme = load_programmes(
                _programmes_open_now(Path(tempfile.mkdtemp(prefix="bench-programmes-")))
            )[GUIZHOU]
            assert programme.evaluation is not None
            card = {
                i.id: str(i.weight * 8 / 10)
                for i in programme.evaluation.indicator_system("base").indicators
            }
            settings = AwardsSettings(
                environment="test",
                database_url=dsn,
                kafka_bootstrap_servers=kafka_bootstrap(),
                temporal_target=target,
                jwt_public_key=public_pem,
                programmes_dir=Path(tempfile.mkdtemp(prefix="bench-programmes-")),
                search_attributes=False,  # the time-skipping server cannot register them
            )
            _programmes_open_now(settings.programmes_dir)
            app = create_app(settings, temporal=TemporalConnection.connected(environment.client))
            # The API judges the round by the server's calendar, not the day the bench runs.
            app.state.clock = clock_from(PINNED_START)

            # One token per caller, minted once with the key loaded once: from PEM, each
            # signature loads and checks the key (~40 ms of CPU on the benchmark's event loop,
            # which also runs the API), and minting per request measured the client.
            signing_key = serialization.load_pem_private_key(private_pem.encode(), None)
            if not isinstance(signing_key, rsa.RSAPrivateKey):
                raise TypeError("the development key pair is RSA")
            tokens: dict[str, str] = {}

            def sign(**claims: Any) -> dict[str, str]:
                key = repr(sorted(claims.items()))
                token = tokens.get(key)
                if token is None:
                    token = tokens[key] = mint_token(
                        private_key_pem=signing_key,
                        subject=str(claims.pop("subject", "bench")),
                        issuer="ecom-local",
                        audience="ecom-api",
                        **claims,
                    )
                return {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}

            limit = asyncio.Semaphore(CONCURRENCY)
            # As ``run_api`` serves it (shared.service.heap), and the no-op side's process
            # likewise below; BENCH_GC_FREEZE=0 for pairs without.
            app.state.freeze_heap_on_start = FREEZE
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://a", timeout=60
                ) as api:
                    by_action: dict[str, list[float]] = {}  # each step's ms, by its action
                    retried: list[int] = []

                    async def one(n: int) -> str:
                        async with limit:
                            return await _drive(api, sign, n, card, by_action, retried)

                    for n in range(APPLICATIONS + 1):  # every caller's token, before the clock
                        sign(roles=["operator"], enterprise_ids=[f"ent-{n}"])
                    for n in range(EXPERTS):
                        sign(roles=["expert"], subject=f"e-{n}")
                    # One application first, off the clock: the worker's sandbox loads the
                    # workflow's modules on its first task, the API its routes' imports.
                    warm_up = await _drive(api, sign, APPLICATIONS, card, {}, retried)
                    cpu_before = cpu_seconds([worker_process.pid]).get(worker_process.pid, 0.0)
                    async with CpuSplit(dsn, worker_process.pid) as steps_cpu:
                        started = time.perf_counter()
                        last_days = await asyncio.gather(*(one(n) for n in range(APPLICATIONS)))
                        steps_seconds = time.perf_counter() - started
                    last = max(
                        dt_datetime.fromisoformat(day).date() for day in [*last_days, warm_up]
                    )
                    ends = dt_datetime.combine(last, dt_time(16), UTC)  # 00:00 China time
                    await skip_to(environment, ends + timedelta(minutes=1))
                    async with app.state.pool.acquire() as connection:
                        while (
                            await connection.fetchval("SELECT count(*) FROM designations")
                        ) < APPLICATIONS + 1:
                            await asyncio.sleep(0.2)
                    rounds_seconds = time.perf_counter() - started
                    steps = [ms for times in by_action.values() for ms in times]
            peak_kib = peak_memory_kib(worker_process.pid)
            worker_cpu = cpu_seconds([worker_process.pid]).get(worker_process.pid, 0.0) - cpu_before
            with frozen_startup_heap() if FREEZE else contextlib.nullcontext():
                noop_seconds, noop_cpu = await _noop_updates(environment, len(steps))
        ratio = steps_seconds / noop_seconds
        p95 = percentile(steps, 0.95)
        print(
            f"awards_round: {APPLICATIONS} applications' {len(steps)} steps through REST in "
            f"{steps_seconds:.1f} s, p50 {percentile(steps, 0.5):.0f} ms p95 {p95:.0f} ms per "
            f"step; submission→designation (the notice skipped, the designations written) in "
            f"{rounds_seconds:.1f} s ({APPLICATIONS / rounds_seconds:.1f}/s); "
            f"{APPLICATIONS} no-op workflows taking the same {len(steps)} updates in "
            f"{noop_seconds:.2f} s; ratio {ratio:.1f} (goal <= 3, p95 <= 150 ms); "
            f"worker peak RSS {peak_kib / 1024:.0f} MiB; {len(retried)} submissions retried "
            f"after a 503"
        )
        print(
            f"awards_round: CPU per step: {steps_cpu.per_op_ms(len(steps))}; per no-op update "
            f"(API, worker and client in one process): {noop_cpu.per_op_ms(len(steps))}"
        )
        print(
            "awards_round: p50/p95 ms by step: "
            + ", ".join(
                f"{action} {percentile(times, 0.5):.0f}/{percentile(times, 0.95):.0f}"
                for action, times in by_action.items()
            )
        )
        results.record(
            "awards_round",
            f"application steps ({len(steps):,}) / no-op updates",
            ours=f"{steps_seconds:.1f} s",
            baseline=f"{noop_seconds:.1f} s",
            ratio=ratio,
            goal="<= 3",
            passed=ratio <= 3,
            peak_mib=peak_kib / 1024,
            cpu_ms=worker_cpu / len(steps) * 1000,
        )
        results.record(
            "awards_round",
            "  submission→designation, the notice skipped",
            ours=f"{rounds_seconds:.1f} s",
            goal="(context)",
            passed=None,
        )
        results.record(
            "awards_round",
            "application step p95",
            ours=f"{p95:.0f} ms",
            goal="<= 150 ms",
            passed=p95 <= 150,
        )
    finally:
        if worker_process is not None:
            worker_process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(worker_process.wait(), 40)
            except TimeoutError:
                worker_process.kill()
        await drop_database(dsn)


if __name__ == "__main__":
    asyncio.run(main())
