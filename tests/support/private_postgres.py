"""A PostgreSQL cluster of a test's own, for tests that stop or restart the server.

The shared stack's PostgreSQL must never be restarted (others' tests run on it), so a test
that needs an outage starts one of these: ``initdb`` in a temporary folder, a free port, run
as the ``postgres`` user when the tests run as root. ``stop()``/``start()`` make the outage;
the context manager removes the cluster afterwards.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.faketime_shm import sweep_stale

PG_BIN = Path(os.environ.get("PRIVATE_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_postgres(command: list[str]) -> list[str]:
    # Under a fake clock (make test-ahead, the year test's business clock) a process run as
    # postgres may meet a dead root process's libfaketime semaphore under its own pid.
    sweep_stale()
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class PrivatePostgres:
    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def dsn_for(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _pg_ctl(self, *arguments: str) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *arguments]),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def init(self) -> None:
        subprocess.run(
            _as_postgres(
                [
                    str(PG_BIN / "initdb"),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "-D",
                    str(self.data),
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._pg_ctl("-w", "-l", str(self.folder / "postgres.log"), "-o", options, "start")

    def stop(self) -> None:
        """A fast shutdown: sessions are cut, as in a failover or a restart."""
        self._pg_ctl("-w", "-m", "fast", "stop")


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    folder = Path(tempfile.mkdtemp(prefix="private-pg-"))
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(folder, postgres.pw_uid, postgres.pw_gid)
    server = PrivatePostgres(folder=folder, port=free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
