"""Removes the shared-memory objects that libfaketime left behind for processes that are gone.

libfaketime 0.9.10 (Debian 12) gives every faked process a semaphore and a shared-memory
object named by its pid (``/dev/shm/sem.faketime_sem_<pid>``, ``faketime_shm_<pid>``), mode
0600, and removes them only when that process exits normally. The suite kills many processes,
so they pile up (over a thousand on a long-lived machine). A process run as ``postgres`` (a
private cluster under a fake clock) cannot open the semaphore its root parent made and creates
one of its own under its own pid; when a dead root process's object of that pid is still
there, that fails with "Permission denied" and the process exits. Pids are reused within a
run, so removing the dead ones before each such start is what keeps it from failing.
(``FAKETIME_DISABLE_SHM`` would avoid the objects altogether, but only from libfaketime 0.9.11.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

SHM = Path("/dev/shm")
_NAME = re.compile(r"^(?:sem\.faketime_sem|faketime_shm)_(\d+)$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(folder: Path = SHM) -> int:
    """Remove the objects of processes that no longer exist; returns how many were removed."""
    removed = 0
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        match = _NAME.match(entry.name)
        if match is None or _alive(int(match.group(1))):
            continue
        try:
            entry.unlink()
            removed += 1
        except OSError:
            pass  # another sweeper got there first, or not ours to remove
    return removed
