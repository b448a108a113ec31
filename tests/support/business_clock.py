"""One business clock for every process of an end-to-end run, moved by the test.

The services read the wall clock (the APIs through ``shared.http.clock.Now``, the consumers
and the sender through ``datetime.now``, PostgreSQL through ``now()``) and offer no setting to
read another one. A test that runs a programme year in minutes therefore starts them under
libfaketime (Debian's ``libfaketime``, which ``deploy/local/stack.sh`` installs) reading their
offset from one file, ``FAKETIME_TIMESTAMP_FILE``: writing a new offset there moves every
process's clock at once (each re-reads the file within ``FAKETIME_CACHE_DURATION`` seconds).
The time-skipping Temporal server runs pinned beside them (``tests/support/time_skipping``);
the harness keeps both on the same instant.

The offset is relative to the real clock of the machine (``+N.Ns``/``-N.Ns``), so every
process, whenever it started, reads the same instant. The test process itself may be running
with its own fake clock (``make test-ahead``): the offset is computed against the clock the
children see without libfaketime, measured once with ``date``. No business date comes from the
wall clock: the clock starts at a fixed instant and moves only when the test moves it.

The monotonic clock is left alone (``FAKETIME_DONT_FAKE_MONOTONIC``): by default libfaketime
moves it with the wall clock, and a process whose monotonic clock jumps days ahead finds every
timeout expired at once (a Kafka consumer believes it missed its poll interval, leaves its
group and dies on the next commit). Left real, it costs ``time.sleep``, whose absolute
monotonic deadline libfaketime then refuses (EINVAL); no role calls it (asyncio, threads and
the Temporal core sleep otherwise).

The clock only moves forward: timestamps already written stay in order.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path

from tests.support.time_skipping import libfaketime_path

# How often each process re-reads the offset (seconds): a move reaches every process within it.
CACHE_SECONDS = 1


def _children_skew() -> float:
    """Seconds to add to this process's clock to get what a child without libfaketime reads
    (zero unless this process runs under libfaketime itself, as in ``make test-ahead``)."""
    if "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return 0.0
    environment = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")}
    before = time.time()
    output = subprocess.run(
        ["date", "+%s.%N"], env=environment, capture_output=True, text=True, check=True
    ).stdout
    after = time.time()
    return float(output) - (before + after) / 2


class BusinessClock:
    """The instant every faked process reads; starts at ``start`` and runs at the real pace."""

    def __init__(self, folder: Path, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start needs an offset")
        folder.mkdir(parents=True, exist_ok=True)
        # PostgreSQL runs as its own user: the folder and the file must be readable to it.
        folder.chmod(0o755)
        self.path = folder / "business-clock"
        self._skew = _children_skew()
        self._offset = 0.0
        self._write(start)

    def _real_now(self) -> float:
        return time.time() + self._skew

    def _write(self, at: dt.datetime) -> None:
        self._offset = at.timestamp() - self._real_now()
        staged = self.path.with_suffix(".new")
        staged.write_text(f"{self._offset:+.3f}s\n")
        staged.chmod(0o644)
        staged.replace(self.path)  # atomic: a process never reads half a line

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._real_now() + self._offset, dt.UTC)

    def move_to(self, at: dt.datetime) -> None:
        """Every faked process reads ``at`` from now on (within ``CACHE_SECONDS``). Never back:
        a clock moved back would stall every timer of the running processes."""
        if at < self.now():
            raise ValueError(f"the business clock only moves forward ({self.now()} -> {at})")
        self._write(at)

    def environment(self) -> dict[str, str]:
        """What a process needs in its environment to read this clock."""
        return {
            "LD_PRELOAD": libfaketime_path(),
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_CACHE_DURATION": str(CACHE_SECONDS),
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }


def faked_environment(clock: BusinessClock, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the business clock, and without a
    fake clock of this process's own (``FAKETIME`` would win over the file)."""
    environment = {k: v for k, v in (os.environ if base is None else base).items()}
    environment.pop("FAKETIME", None)
    environment.update(clock.environment())
    return environment
