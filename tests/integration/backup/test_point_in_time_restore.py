"""Backup and point-in-time restore, rehearsed on the local PostgreSQL binaries.

The procedure is the one CloudNativePG runs in production (deploy/k8s/platform-examples/,
docs/operations.md "Backup and restore"), step for step:

| CloudNativePG                                   | here                                        |
| ----------------------------------------------- | ------------------------------------------- |
| continuous WAL archiving (``barmanObjectStore``) | ``archive_mode=on``, ``archive_command`` copying each segment to a folder |
| a base backup (``Backup``/``ScheduledBackup``)   | ``pg_basebackup -X none`` (the WAL comes from the archive, as there) |
| ``bootstrap.recovery`` with ``recoveryTarget.targetTime`` / ``targetLSN`` into a NEW cluster | a new data directory from the base backup, ``restore_command`` from the archive, ``recovery_target_time`` / ``recovery_target_lsn``, ``recovery.signal``, started on another port |

The database holds a service's real schema (the common migrations and submissions' own) and
its audit trail written through ``shared.audit``: records before the base backup, after it up
to the target, and after the target. The restored cluster must hold exactly the first two,
and its hash chain must verify (``shared.audit.verify``) with its head at the target's last
record.

Runs as the ``postgres`` user when the tests run as root (initdb refuses root). Ports of its
own below 32768; every wait polls against a deadline; everything it made is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from shared.audit import records
from shared.audit.verify import verify
from shared.db.migrate import migrate
from shared.db.pool import connect
from tests.support.polling import until
from tests.support.private_postgres import _as_postgres

# Ports below the ephemeral range, away from every stack's (5640N, 29x0N): 314xx.
PORT_RANGE = range(31408, 31500)
DEADLINE_SECONDS = 120.0
DATABASE = "submissions"


def _pg_bin() -> Path | None:
    """The newest installed PostgreSQL, as deploy/local/stack.sh finds it."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    if override := os.environ.get("PRIVATE_PG_BIN"):
        return Path(override)
    return found[-1] if found else None


PG_BIN = _pg_bin()
pytestmark = pytest.mark.skipif(
    PG_BIN is None or not (PG_BIN / "pg_basebackup").exists(),
    reason="PostgreSQL server binaries not installed (deploy/local/stack.sh installs them)",
)


def _free_port(taken: set[int]) -> int:
    for port in PORT_RANGE:
        if port in taken:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise RuntimeError(f"no free port in {PORT_RANGE}")


def _run(*command: str) -> None:
    subprocess.run(_as_postgres(list(command)), check=True, capture_output=True, timeout=120)


def _services_migrations() -> Path:
    spec = importlib.util.find_spec("submissions")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "db" / "migrations"


@dataclass
class Cluster:
    data: Path
    port: int
    socket_dir: Path

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        assert PG_BIN is not None
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir}"
        _run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "120",
             "-l", str(self.data.parent / f"{self.data.name}.log"), "-o", options, "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        assert PG_BIN is not None
        with contextlib.suppress(subprocess.SubprocessError):
            _run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-m", mode, "stop")

    def log(self) -> str:
        path = self.data.parent / f"{self.data.name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@dataclass
class Backup:
    """What production keeps: a base backup and the WAL archive; and what the test knows."""

    folder: Path
    base: Path
    archive: Path
    ports: set[int]
    before_backup: list[str]
    up_to_target: list[str]
    after_target: list[str]
    target_time: str
    target_lsn: str


async def _append(dsn: str, actions: list[str]) -> None:
    connection = await connect(dsn)  # with the services' codecs (jsonb)
    try:
        for action in actions:  # one transaction each, as every handler commits its own
            async with connection.transaction():
                await records.append(
                    connection,
                    kind="change",
                    actor=records.Actor.process("backup-rehearsal"),
                    action=action,
                    resource_type="reporting_window",
                    resource_id="rehearsal",
                    region_code="520000",
                    after={"step": action},
                )
    finally:
        await connection.close()


async def _fetchval(dsn: str, query: str) -> object:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


async def _archived(dsn: str, segment: str) -> bool:
    last = await _fetchval(dsn, "SELECT last_archived_wal FROM pg_stat_archiver")
    return last is not None and str(last) >= segment


async def _until(condition: object, what: str, cluster: Cluster) -> None:
    async def holds() -> bool:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            return bool(await condition())  # type: ignore[operator]
        return False

    try:
        await until(holds, seconds=DEADLINE_SECONDS, interval=0.2)
    except AssertionError:
        pytest.fail(f"{what} not within {DEADLINE_SECONDS} s; log:\n{cluster.log()}")


async def _make_backup(folder: Path) -> Backup:
    assert PG_BIN is not None
    archive, base, data = folder / "wal-archive", folder / "base-backup", folder / "primary"
    archive.mkdir()
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        for path in (folder, archive):
            os.chown(path, postgres.pw_uid, postgres.pw_gid)
    _run(str(PG_BIN / "initdb"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
         "--locale=C.UTF-8", "-D", str(data))  # fmt: skip
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            "wal_level = replica\n"
            "archive_mode = on\n"
            f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'\n"
            "max_wal_senders = 4\n"
        )
    ports: set[int] = set()
    primary = Cluster(data, _free_port(ports), folder)
    primary.start()
    try:
        return await _write_and_back_up(primary, folder, base, archive, ports)
    finally:
        primary.stop()


async def _write_and_back_up(
    primary: Cluster, folder: Path, base: Path, archive: Path, ports: set[int]
) -> Backup:
    assert PG_BIN is not None
    admin = await asyncpg.connect(primary.dsn())
    try:
        await admin.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await admin.close()
    dsn = primary.dsn(DATABASE)
    await asyncio.to_thread(migrate, dsn, _services_migrations())

    before_backup = [f"rehearsal.before-backup-{n}" for n in range(3)]
    await _append(dsn, before_backup)
    await asyncio.to_thread(
        _run, str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
        "-U", "postgres", "-D", str(base), "-X", "none", "--checkpoint=fast",
    )  # fmt: skip

    up_to_target = [f"rehearsal.after-backup-{n}" for n in range(4)]
    await _append(dsn, up_to_target)
    # The target: an instant and a position after the last commit to keep, before the next.
    target_time = str(await _fetchval(dsn, "SELECT clock_timestamp()::text"))
    target_lsn = str(await _fetchval(dsn, "SELECT pg_current_wal_insert_lsn()::text"))
    after_target = [f"rehearsal.after-target-{n}" for n in range(2)]
    await _append(dsn, after_target)

    # Recovery must read past the target to stop there: archive the segment that holds it.
    segment = str(await _fetchval(dsn, "SELECT pg_walfile_name(pg_switch_wal())"))
    await _until(lambda: _archived(dsn, segment), f"WAL segment {segment} archived", primary)
    return Backup(folder, base, archive, ports, before_backup, up_to_target, after_target,
                  target_time, target_lsn)  # fmt: skip


@pytest.fixture(scope="module")
async def backup() -> AsyncIterator[Backup]:
    folder = Path(tempfile.mkdtemp(prefix="pitr-rehearsal-"))
    try:
        yield await _make_backup(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def restored(backup: Backup, name: str, target: dict[str, str]) -> Iterator[Cluster]:
    """A new cluster from the base backup and the archive, recovered to ``target`` and
    promoted, on a port of its own."""
    data = backup.folder / name
    _run("cp", "-a", str(backup.base), str(data))
    settings = {
        "restore_command": f"cp {backup.archive}/%f %p",
        "recovery_target_action": "promote",
        "recovery_target_inclusive": "on",
        # The restored cluster must not archive into the source's archive (CloudNativePG
        # gives it its own serverName for the same reason).
        "archive_mode": "off",
        **target,
    }
    lines = "".join(f"{key} = '{value}'\n" for key, value in settings.items())
    _run("sh", "-c", f"cat >> {data}/postgresql.auto.conf <<'EOF'\n{lines}EOF\n")
    _run("touch", str(data / "recovery.signal"))
    cluster = Cluster(data, _free_port(backup.ports), backup.folder)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop("immediate")


async def _promoted(cluster: Cluster) -> None:
    async def out_of_recovery() -> bool:
        return await _fetchval(cluster.dsn(), "SELECT NOT pg_is_in_recovery()") is True

    await _until(out_of_recovery, "recovery to the target and promotion", cluster)


async def _actions(dsn: str) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT action FROM audit_log WHERE action LIKE 'rehearsal.%' ORDER BY seq"
        )
        return [row["action"] for row in rows]
    finally:
        await connection.close()


@pytest.mark.parametrize("target", ["time", "lsn"])
async def test_point_in_time_restore_keeps_what_came_before_the_target_and_the_chain_verifies(
    backup: Backup, target: str
) -> None:
    recovery_target = (
        {"recovery_target_time": backup.target_time}
        if target == "time"
        else {"recovery_target_lsn": backup.target_lsn}
    )
    with restored(backup, f"restored-{target}", recovery_target) as cluster:
        await _promoted(cluster)
        dsn = cluster.dsn(DATABASE)

        assert await _actions(dsn) == backup.before_backup + backup.up_to_target

        verification = await verify(dsn)
        assert verification.ok, verification.broken
        assert verification.head_seq == len(backup.before_backup) + len(backup.up_to_target)

        # Promoted: the restored cluster takes writes, and the chain goes on from its head.
        await _append(dsn, ["rehearsal.after-restore"])
        assert (await verify(dsn)).ok
