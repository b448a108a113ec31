"""Run the services' own entrypoints (``python -m <service> <role>``) as real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

LOG_DIR = Path(__file__).resolve().parents[2] / ".local" / "test-logs"


@dataclass
class ServiceProcesses:
    service: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, role: str) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = (LOG_DIR / f"{self.service}-{role}.log").open("ab")
        self.processes[role] = subprocess.Popen(
            [sys.executable, "-m", self.service, role],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, role: str) -> None:
        """SIGKILL: no chance to clean up, as in a crashed pod."""
        process = self.processes.pop(role)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "-m", self.service, "migrate"],
            env={**os.environ, **self.env},
            check=True,
            capture_output=True,
        )


def wait_ready(base_url: str, *, timeout_seconds: float = 60) -> None:
    deadline = time.monotonic() + timeout_seconds
    last_error = ""
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url}/readyz", timeout=5)
            if response.status_code == 200:
                return
            last_error = response.text
        except httpx.HTTPError as exc:
            last_error = str(exc)
        time.sleep(0.3)
    raise TimeoutError(f"{base_url} not ready: {last_error}")


def service_env(
    prefix: str,
    *,
    database_url: str,
    kafka: str,
    temporal: str,
    topic_prefix: str,
    port: int,
    public_key_pem: str,
) -> dict[str, str]:
    return {
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}DATABASE_URL": database_url,
        f"{prefix}KAFKA_BOOTSTRAP_SERVERS": kafka,
        f"{prefix}KAFKA_TOPIC_PREFIX": topic_prefix,
        f"{prefix}TEMPORAL_TARGET": temporal,
        f"{prefix}HTTP_HOST": "127.0.0.1",
        f"{prefix}HTTP_PORT": str(port),
        f"{prefix}JWT_PUBLIC_KEY": public_key_pem,
        f"{prefix}OUTBOX_POLL_INTERVAL_SECONDS": "0.5",
    }
