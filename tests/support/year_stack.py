"""A whole programme year on the real stack, in minutes: the four services as processes
(``python -m <service> api|relay|consumer|worker|sender``) on one business clock.

What runs, and why it is private to the run:

- **Temporal**: the time-skipping test server pinned at the year's start
  (``tests/support/time_skipping``); the awards and submissions workers poll it. Workflow time
  jumps when the test skips time; between skips it runs at the real pace.
- **The services' clock**: libfaketime reading one offset file (``business_clock``), moved
  with Temporal so that an API, a consumer and a workflow agree on the day.
- **PostgreSQL**: a cluster of the run's own on the same clock (the services' ``now()`` in SQL
  decides what is due to send, when a record was created), so the shared one is never faked.
- **Kafka**: the shared broker, with the run's own topics (a fresh prefix) created up front
  with no time-based retention: records are stamped with the business time, which may lie
  weeks or years before the broker's clock, and the broker's seven-day retention would delete
  them before a late consumer read them.
- **Receivers**: an SMTP server and HTTP receivers (webhooks, WeCom and DingTalk robots) that
  judge timestamps by the business clock (``tests/support/receivers``).

Moving time: ``advance_to(instant)`` moves the services' clock first, then lets Temporal
catch up to it (its timers fire on the way); the services never see a clock go back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import yaml
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from temporalio.testing import WorkflowEnvironment

from shared.auth import generate_dev_keypair
from shared.china_time import CHINA
from tests.support.business_clock import BusinessClock, faked_environment
from tests.support.kafka import delete_topics_with_prefix
from tests.support.polling import until
from tests.support.private_postgres import PG_BIN, PrivatePostgres, _as_postgres, free_port
from tests.support.processes import LOG_DIR, service_env
from tests.support.receivers import HttpReceivers, Mailbox, http_receivers, smtp_server
from tests.support.time_skipping import pinned_environment, skip_to

ROOT = Path(__file__).resolve().parents[2]
DECLARED_TOPICS = ROOT / "deploy" / "k8s" / "platform-examples" / "kafka-strimzi.yaml"
SERVICES = ("registry", "submissions", "awards", "notifications")
FINANCE_SECRET = "year-finance-callback-secret"
# Partitions per topic: the declared count, at most this (a run's consumers are one process
# each, and fewer partitions keep the broker's work down on a small machine).
MAX_PARTITIONS = 3
BYTECODE = ROOT / ".local" / "test-bytecode"
# Sixteen processes start at once on what may be a small, busy machine.
READY_SECONDS = 600


class BusinessPostgres(PrivatePostgres):
    """A private cluster whose clock is the business clock (``now()`` in SQL)."""

    clock: BusinessClock

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=300 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        clock = [f"{k}={v}" for k, v in self.clock.environment().items()]
        command = [
            "env",
            "-u",
            "FAKETIME",  # a fake clock of the test process's own would win over the file
            *clock,
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.folder / "postgres.log"),
            "-o",
            options,
            "start",
        ]
        subprocess.run(_as_postgres(command), check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def business_postgres(clock: BusinessClock) -> Any:
    folder = Path(tempfile.mkdtemp(prefix="year-pg-"))
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(folder, postgres.pw_uid, postgres.pw_gid)
    server = BusinessPostgres(folder=folder, port=free_port())
    server.clock = clock
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


async def create_run_topics(bootstrap: str, prefix: str) -> list[str]:
    """Every declared topic (each AsyncAPI channel and each dead-letter topic) under the run's
    prefix, kept without a time limit (see the module's docstring)."""
    with DECLARED_TOPICS.open(encoding="utf-8") as handle:
        declared = {
            doc["metadata"]["name"]: int(doc["spec"].get("partitions", 3))
            for doc in yaml.safe_load_all(handle)
            if doc and doc.get("kind") == "KafkaTopic"
        }
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(
                    f"{prefix}{name}",
                    min(partitions, MAX_PARTITIONS),
                    1,
                    topic_configs={"retention.ms": "-1"},
                )
                for name, partitions in declared.items()
            ]
        )
    finally:
        await admin.close()
    return sorted(declared)


@dataclass
class Process:
    """One role of one service, started as ``python -m <service> <role>``."""

    service: str
    role: str
    popen: subprocess.Popen[bytes]


@dataclass
class Tokens:
    """Bearer tokens issued at the business time (a token issued by the real clock would be
    from the services' future, or long expired, as the year moves)."""

    private_pem: str
    clock: BusinessClock

    def __call__(
        self,
        *,
        roles: Iterable[str],
        subject: str,
        region_code: str | None = None,
        enterprise_ids: Iterable[str] = (),
        grants: Iterable[str] = (),
    ) -> str:
        now = self.clock.now()
        claims: dict[str, Any] = {
            "sub": subject,
            "roles": list(roles),
            "iss": "ecom-local",
            "aud": "ecom-api",
            # issued a little before: each process reads a moved clock within a second
            "iat": now - dt.timedelta(minutes=2),
            "exp": now + dt.timedelta(hours=2),
            "jti": str(uuid.uuid4()),
        }
        if region_code:
            claims["region_code"] = region_code
        if enterprise_ids:
            claims["enterprise_ids"] = list(enterprise_ids)
        if grants:
            claims["grants"] = list(grants)
        return jwt.encode(claims, self.private_pem, algorithm="RS256")


@dataclass
class YearStack:
    clock: BusinessClock
    temporal: WorkflowEnvironment
    postgres: BusinessPostgres
    kafka_bootstrap: str
    topic_prefix: str
    programmes_dir: Path
    tokens: Tokens
    public_pem: str
    mailbox: Mailbox
    receivers: HttpReceivers
    ports: dict[str, int]
    database_urls: dict[str, str]
    extra_env: dict[str, dict[str, str]]
    processes: dict[tuple[str, str], Process] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    # --- processes -------------------------------------------------------------------------

    def environment(self, service: str) -> dict[str, str]:
        prefix = f"{service.upper()}_"
        settings = service_env(
            prefix,
            database_url=self.database_urls[service],
            kafka=self.kafka_bootstrap,
            temporal=self.temporal.client.service_client.config.target_host,
            topic_prefix=self.topic_prefix,
            port=self.ports[service],
            public_key_pem=self.public_pem,
        )
        settings.update(
            {
                "PROGRAMMES_DIR": str(self.programmes_dir),
                f"{prefix}PROGRAMMES_DIR": str(self.programmes_dir),
                f"{prefix}CONSUMER_BACKOFF_INITIAL_SECONDS": "0.2",
                f"{prefix}CONSUMER_BACKOFF_MAX_SECONDS": "2",
                **self.extra_env.get(service, {}),
            }
        )
        # The shell's stack exports (make up's ports, key files) must not leak in.
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(tuple(f"{s.upper()}_" for s in SERVICES))
            and k != "PYTHONDONTWRITEBYTECODE"
        }
        # Sixteen processes import the same libraries: compiled once into a cache of the
        # checkout's own (git-ignored), not from source by each process at each start.
        base["PYTHONPYCACHEPREFIX"] = str(BYTECODE)
        return faked_environment(self.clock, {**base, **settings})

    def start(self, service: str, role: str) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        logfile = (LOG_DIR / f"year-{service}-{role}.log").open("ab")
        self.processes[(service, role)] = Process(
            service,
            role,
            subprocess.Popen(
                [sys.executable, "-m", service, role],
                env=self.environment(service),
                stdout=logfile,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            ),
        )

    def stop(self, service: str, role: str) -> None:
        """Stop one role (SIGTERM, as a deployment does) and forget it: ``check_alive`` is
        about the processes the run keeps; ``start`` brings it back."""
        process = self.processes.pop((service, role))
        if process.popen.poll() is None:
            process.popen.send_signal(signal.SIGTERM)
        try:
            process.popen.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait(timeout=10)

    def running(self, service: str, role: str) -> bool:
        process = self.processes.get((service, role))
        return process is not None and process.popen.poll() is None

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.popen.poll() is None:
                process.popen.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.popen.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(timeout=10)
        self.processes.clear()

    def migrate(self, service: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", service, "migrate"],
            env=self.environment(service),
            capture_output=True,
            cwd=ROOT,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{service} migrate failed: {result.stderr.decode()[-3000:]}")

    def check_alive(self) -> None:
        """Fail at once, naming it, when a role process died (its log says why)."""
        dead = [
            f"{p.service} {p.role} (exit {p.popen.returncode})"
            for p in self.processes.values()
            if p.popen.poll() is not None
        ]
        assert not dead, f"processes died: {dead}; logs in {LOG_DIR}/year-*.log"

    async def wait_ready(self, service: str, *, seconds: float = READY_SECONDS) -> None:
        async def ready() -> bool:
            self.check_alive()
            try:
                async with httpx.AsyncClient(timeout=5) as client:
                    response = await client.get(f"{self.url(service)}/readyz")
                return response.status_code == 200
            except httpx.HTTPError:
                return False

        await until(ready, seconds=seconds, interval=0.5, message=f"{service} API not ready")

    # --- time ------------------------------------------------------------------------------

    def note(self, what: str) -> None:
        """A line in the test's output: the business time, the real seconds since the start."""
        elapsed = time.monotonic() - self.started
        print(
            f"[{elapsed:7.1f}s] {self.clock.now().astimezone(CHINA):%m-%d %H:%M} {what}", flush=True
        )

    async def advance_to(self, instant: dt.datetime) -> None:
        """Move the business clock to ``instant`` and let Temporal catch up with it: its timers
        due on the way fire, in order, and their workflow tasks run."""
        self.check_alive()
        self.clock.move_to(instant)
        await self._services_read(instant)
        await skip_to(self.temporal, self.clock.now())
        self.check_alive()
        self.note("time moved")

    async def _services_read(self, instant: dt.datetime) -> None:
        """Every API reads the moved clock (its ``Date`` header, in whole seconds)."""

        async def moved() -> bool:
            async with httpx.AsyncClient(timeout=5) as client:
                for service in SERVICES:
                    if not self.running(service, "api"):
                        continue
                    answer = await client.get(f"{self.url(service)}/healthz")
                    seen = dt.datetime.strptime(
                        answer.headers["date"], "%a, %d %b %Y %H:%M:%S GMT"
                    ).replace(tzinfo=dt.UTC)
                    if seen < instant - dt.timedelta(seconds=1):
                        return False
            return True

        await until(moved, seconds=30, interval=0.2, message="the services' clock did not move")

    async def temporal_now(self) -> dt.datetime:
        return await self.temporal.get_current_time()

    # --- calls -----------------------------------------------------------------------------

    def client(self, service: str) -> httpx.AsyncClient:
        """A client without kept-alive connections: a moved clock may time out an idle one on
        the server's side."""
        return httpx.AsyncClient(
            base_url=self.url(service),
            timeout=60,
            limits=httpx.Limits(max_keepalive_connections=0),
        )


@contextlib.asynccontextmanager
async def year_stack(
    *,
    kafka_bootstrap: str,
    programmes_dir: Path,
    start: dt.datetime,
    roles: Mapping[str, Iterable[str]],
    extra_env: Mapping[str, Mapping[str, str]] | None = None,
    throttle_first: Iterable[str] = (),
) -> AsyncIterator[YearStack]:
    """The run's stack with ``roles`` started (APIs ready); everything stopped and removed
    afterwards (processes, the cluster, the Temporal server, the run's topics), also when the
    test run is terminated: the cluster runs detached (``pg_ctl``) and would outlive it."""
    with _terminate_as_exit():
        async with _year_stack(
            kafka_bootstrap=kafka_bootstrap,
            programmes_dir=programmes_dir,
            start=start,
            roles=roles,
            extra_env=extra_env,
            throttle_first=throttle_first,
        ) as stack:
            yield stack


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """SIGTERM raises ``SystemExit`` while the stack runs, so that its clean-up runs."""

    def exit_now(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, exit_now)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.asynccontextmanager
async def _year_stack(
    *,
    kafka_bootstrap: str,
    programmes_dir: Path,
    start: dt.datetime,
    roles: Mapping[str, Iterable[str]],
    extra_env: Mapping[str, Mapping[str, str]] | None,
    throttle_first: Iterable[str],
) -> AsyncIterator[YearStack]:
    folder = Path(tempfile.mkdtemp(prefix="year-run-"))
    folder.chmod(0o755)  # PostgreSQL's own user reads the clock file inside
    clock = BusinessClock(folder / "clock", start)
    private_pem, public_pem = generate_dev_keypair()
    prefix = f"y{uuid.uuid4().hex[:10]}."
    stack: YearStack | None = None
    try:
        with (
            business_postgres(clock) as postgres,
            smtp_server() as mailbox,
            http_receivers(
                HttpReceivers(
                    business_now=lambda: clock.now().timestamp(),
                    throttle_first=set(throttle_first),
                )
            ) as receivers,
        ):
            await create_run_topics(kafka_bootstrap, prefix)
            database_urls = {}
            connection = await asyncpg.connect(postgres.admin_dsn)
            try:
                # the cluster reads the business clock (its user can read the clock file)
                database_now = await connection.fetchval("SELECT now()")
                assert abs(database_now - clock.now()) < dt.timedelta(minutes=5), (
                    f"PostgreSQL is not on the business clock: {database_now} vs {clock.now()}"
                )
                for service in SERVICES:
                    await connection.execute(f'CREATE DATABASE "{service}"')
                    database_urls[service] = postgres.dsn_for(service)
            finally:
                await connection.close()
            async with pinned_environment(start=start) as temporal:
                ports = {service: free_port() for service in SERVICES}
                environment = {
                    "awards": {
                        # the time-skipping server has no custom search attributes
                        "AWARDS_SEARCH_ATTRIBUTES": "false",
                        "AWARDS_FINANCE_CALLBACK_SECRET": FINANCE_SECRET,
                    },
                    "notifications": {
                        "NOTIFICATIONS_ALLOW_PRIVATE_ENDPOINTS": "true",
                        "NOTIFICATIONS_SMTP_HOST": "127.0.0.1",
                        "NOTIFICATIONS_SMTP_PORT": str(mailbox.port),
                        "NOTIFICATIONS_SENDER_POLL_INTERVAL_SECONDS": "0.5",
                        "NOTIFICATIONS_RETRY_INITIAL_SECONDS": "0.5",
                        "NOTIFICATIONS_RETRY_MAX_SECONDS": "2",
                        "NOTIFICATIONS_ROBOT_THROTTLE_HOLD_SECONDS": "2",
                        "NOTIFICATIONS_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['notifications']}",
                    },
                }
                for service, values in (extra_env or {}).items():
                    environment.setdefault(service, {}).update(values)
                stack = YearStack(
                    clock=clock,
                    temporal=temporal,
                    postgres=postgres,
                    kafka_bootstrap=kafka_bootstrap,
                    topic_prefix=prefix,
                    programmes_dir=programmes_dir,
                    tokens=Tokens(private_pem, clock),
                    public_pem=public_pem,
                    mailbox=mailbox,
                    receivers=receivers,
                    ports=ports,
                    database_urls=database_urls,
                    extra_env=environment,
                )
                try:
                    # The services start on Temporal's instant (the clock file started at
                    # ``start`` when the server did; both have run at the real pace since).
                    for service in SERVICES:
                        stack.migrate(service)
                    for service, service_roles in roles.items():
                        for role in service_roles:
                            stack.start(service, role)
                    for service, service_roles in roles.items():
                        if "api" in service_roles:
                            await stack.wait_ready(service)
                    stack.note("services ready")
                    yield stack
                finally:
                    stack.stop_all()
    finally:
        with contextlib.suppress(Exception):
            await delete_topics_with_prefix(kafka_bootstrap, prefix)
        shutil.rmtree(folder, ignore_errors=True)


async def gather_pages(
    client: httpx.AsyncClient, path: str, *, headers: Mapping[str, str], **params: Any
) -> list[dict[str, Any]]:
    """Every item of a paged list (``items``, ``next_cursor``)."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=dict(headers))
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
        page = response.json()
        items.extend(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return items
