"""The four services as real processes, each role in replicas (``python -m <service> <role>``),
with the faults a Deployment sees: a replica killed (SIGKILL) and started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
# Compiled bytecode, as the images have (UV_COMPILE_BYTECODE): a development shell's
# PYTHONDONTWRITEBYTECODE would have each of the run's two dozen processes compile every module
# it imports from source at each start, minutes of CPU on a small machine. A private cache
# folder keeps the checkout clean.
PYCACHE = ROOT / ".local" / "chaos-pycache"


def _process_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(PYCACHE), **extra}


SERVICES = ("registry", "submissions", "awards", "notifications")

# The long-running roles besides the API, as production runs them (two replicas each in the
# full run). The registry's importer is left out: the runs import nothing.
ROLES: dict[str, tuple[str, ...]] = {
    "registry": ("relay", "consumer"),
    "submissions": ("relay", "consumer", "worker"),
    "awards": ("relay", "consumer", "worker"),
    "notifications": ("relay", "consumer", "sender"),
}


# A replica that exits within this long of its start failed to start (a dependency was away,
# as when PostgreSQL restarts under it): restarted, as Kubernetes restarts a container. One
# that exits later, while it ran, is a defect.
STARTUP_SECONDS = 30.0


@dataclass
class Replica:
    service: str
    role: str
    index: int
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    started_at: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.service}-{self.role}-{self.index}"


@dataclass(frozen=True)
class Exit:
    replica: str
    code: int
    after_seconds: float
    last_line: str

    @property
    def at_start(self) -> bool:
        return self.after_seconds < STARTUP_SECONDS

    def __str__(self) -> str:
        return (
            f"{self.replica} exited {self.code} after {self.after_seconds:.0f} s: {self.last_line}"
        )


@dataclass
class Fleet:
    """Every process of the run; ``env[service]`` is its settings (prefixed variables)."""

    env: dict[str, dict[str, str]]
    log_dir: Path
    http_ports: dict[str, int]
    # Each process's pid is written here: `cluster.sh down` stops them too, should the run
    # itself be killed.
    pid_dir: Path | None = None
    replicas: dict[tuple[str, str, int], Replica] = field(default_factory=dict)
    exits: list[Exit] = field(default_factory=list)
    # The run's own kills and the restarts of what exited never interleave.
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: bool = False

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.http_ports[service]}"

    def migrate(self) -> None:
        for service in SERVICES:
            result = subprocess.run(
                [sys.executable, "-m", service, "migrate"],
                env=_process_env(self.env[service]),
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise RuntimeError(f"migrating {service} failed:\n{result.stderr[-4000:]}")

    def start(self, service: str, role: str, index: int = 1) -> Replica:
        key = (service, role, index)
        replica = self.replicas.setdefault(key, Replica(service, role, index))
        if replica.process is not None and replica.process.poll() is None:
            return replica
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{replica.name}.log").open("ab")
        replica.process = subprocess.Popen(
            [sys.executable, "-m", service, role],
            env=_process_env(self.env[service]),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        replica.starts += 1
        replica.started_at = time.monotonic()
        if self.pid_dir is not None:
            self.pid_dir.mkdir(parents=True, exist_ok=True)
            (self.pid_dir / f"fleet-{replica.name}.pid").write_text(str(replica.process.pid))
        return replica

    def start_roles(self, service: str, roles: tuple[str, ...], count: int) -> None:
        for role in roles:
            for index in range(1, count + 1):
                self.start(service, role, index)

    def kill(self, service: str, role: str, index: int = 1) -> None:
        """SIGKILL: no chance to clean up, as a pod killed by its node."""
        with self.lock:
            replica = self.replicas[(service, role, index)]
            if replica.process is None:
                return
            replica.process.send_signal(signal.SIGKILL)
            replica.process.wait(timeout=30)
            replica.process = None

    def running(self, service: str, role: str) -> list[Replica]:
        return [
            r
            for (s, ro, _), r in sorted(self.replicas.items())
            if (s, ro) == (service, role) and r.process is not None and r.process.poll() is None
        ]

    def restart_exited(self) -> list[Exit]:
        """Start again every replica that exited by itself (the run's kills are not exits),
        as a Deployment's restart policy would; what exited is recorded."""
        found: list[Exit] = []
        with self.lock:
            if self.stopping:
                return found
            self._restart_exited(found)
        self.exits += found
        return found

    def _restart_exited(self, found: list[Exit]) -> None:
        for replica in list(self.replicas.values()):
            process = replica.process
            if process is None or process.poll() is None:
                continue
            lines = (self.log_dir / f"{replica.name}.log").read_bytes()[-4000:].splitlines()
            last = next((line for line in reversed(lines) if line.strip()), b"").decode(
                "utf-8", "replace"
            )
            found.append(
                Exit(
                    replica.name,
                    process.returncode,
                    time.monotonic() - replica.started_at,
                    last.strip()[:300],
                )
            )
            replica.process = None
            self.start(replica.service, replica.role, replica.index)

    def stop_all(self) -> None:
        with self.lock:
            self.stopping = True
        live = [r.process for r in self.replicas.values() if r.process is not None]
        for process in live:
            if process.poll() is None:
                process.terminate()
        for process in live:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for replica in self.replicas.values():
            replica.process = None

    def wait_ready(self, service: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        last = ""
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"{self.url(service)}/readyz", timeout=5)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.3)
        raise TimeoutError(f"{service} API not ready: {last}")


def service_env(
    service: str,
    *,
    database_url: str,
    kafka: str,
    temporal: str,
    port: int,
    public_key_pem: str,
    programmes_dir: Path,
) -> dict[str, str]:
    prefix = f"{service.upper()}_"
    env = {
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}DATABASE_URL": database_url,
        f"{prefix}KAFKA_BOOTSTRAP_SERVERS": kafka,
        f"{prefix}KAFKA_TOPIC_PREFIX": "",
        f"{prefix}TEMPORAL_TARGET": temporal,
        f"{prefix}HTTP_HOST": "127.0.0.1",
        f"{prefix}HTTP_PORT": str(port),
        f"{prefix}JWT_PUBLIC_KEY": public_key_pem,
        f"{prefix}OUTBOX_POLL_INTERVAL_SECONDS": "0.5",
        # A relay or consumer cut off from Kafka or PostgreSQL retries; short ceilings keep the
        # recovery after each fault within the run's minutes.
        f"{prefix}OUTBOX_RETRY_MAX_SECONDS": "5",
        f"{prefix}CONSUMER_BACKOFF_MAX_SECONDS": "5",
        "PROGRAMMES_DIR": str(programmes_dir),
        "PYTHONUNBUFFERED": "1",
    }
    if service == "awards":
        env["AWARDS_FINANCE_CALLBACK_SECRET"] = "chaos-finance-callback-secret"
    if service == "notifications":
        # The run's webhook receiver listens on 127.0.0.1.
        env["NOTIFICATIONS_ALLOW_PRIVATE_ENDPOINTS"] = "true"
        env["NOTIFICATIONS_RETRY_INITIAL_SECONDS"] = "0.5"
        env["NOTIFICATIONS_RETRY_MAX_SECONDS"] = "5"
    return env
