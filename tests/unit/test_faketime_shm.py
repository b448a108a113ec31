"""The test harness's sweep of libfaketime's leftover shared-memory objects."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.faketime_shm import sweep_stale


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_removes_only_the_objects_of_processes_that_are_gone(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getpid()
    for pid in (dead, alive):
        (tmp_path / f"sem.faketime_sem_{pid}").write_bytes(b"")
        (tmp_path / f"faketime_shm_{pid}").write_bytes(b"")
    (tmp_path / "PostgreSQL.1234").write_bytes(b"")  # not libfaketime's: never touched

    assert sweep_stale(tmp_path) == 2

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["PostgreSQL.1234", f"faketime_shm_{alive}", f"sem.faketime_sem_{alive}"]
    )


def test_a_missing_folder_is_nothing_to_sweep(tmp_path: Path) -> None:
    assert sweep_stale(tmp_path / "absent") == 0
