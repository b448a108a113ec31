"""Skipping time on Temporal's time-skipping test server without tripping the RPC deadline.

``WorkflowEnvironment.sleep`` is one ``UnlockTimeSkippingWithSleep`` call under the client's
default RPC timeout. The server answers only when it has skipped the whole span, firing every
timer in between and waiting for the worker to finish the tasks they start; on a loaded CI
machine a span of months can outlast that timeout ("Timeout expired"). This skips in steps,
each with a generous deadline of its own: the same time passes, in shorter calls.
"""

from __future__ import annotations

import datetime as dt

from temporalio.api.testservice.v1 import SleepRequest
from temporalio.testing import WorkflowEnvironment

STEP = dt.timedelta(days=7)
RPC_TIMEOUT = dt.timedelta(seconds=120)


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
