"""Run a command with this machine's clock moved ahead for it alone (libfaketime).

    python -m tests.support.clock_ahead +1096d pytest -q tests

The command and every process it starts see the wall clock moved by the offset (libfaketime's
``FAKETIME`` syntax: ``+1096d``, ``+2y``). Monotonic clocks move by the same offset, which
changes no interval; leaving them alone (``FAKETIME_DONT_FAKE_MONOTONIC``) breaks
``time.sleep``, whose absolute monotonic deadline libfaketime then rejects. The stack it
talks to (PostgreSQL, Kafka, Temporal) keeps the real clock, as a server would whose clients'
clocks differ from its own. Used by ``make test-ahead`` and by
the test that guards the suite against depending on today's date.
"""

from __future__ import annotations

import os
import sys

from tests.support.faketime_shm import sweep_stale
from tests.support.time_skipping import libfaketime_path


def clock_ahead_environment(offset: str, base: dict[str, str] | None = None) -> dict[str, str]:
    environment = dict(os.environ if base is None else base)
    environment.update(
        LD_PRELOAD=libfaketime_path(),
        FAKETIME=offset,
    )
    return environment


def main(argv: list[str]) -> None:
    if len(argv) < 2 or not argv[0].startswith(("+", "-")):
        raise SystemExit("usage: python -m tests.support.clock_ahead +1096d COMMAND [ARG…]")
    offset, command = argv[0], argv[1:]
    sweep_stale()
    if command[0] == "pytest":
        command = [sys.executable, "-m", *command]
    os.execvpe(command[0], command, clock_ahead_environment(offset))


if __name__ == "__main__":
    main(sys.argv[1:])
