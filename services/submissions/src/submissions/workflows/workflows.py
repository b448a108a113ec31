"""One workflow per reporting window: open it at ``opens_at`` (unless the province already
did), then sleep to each clock point and let the ``tick`` activity emit it, until the lock.

Deterministic only (STYLE.md): time is ``workflow.now()``, waiting is a timer; the activities
read the database and the programme file. A timer never sleeps longer than ``MAX_SLEEP``, so
a changed programme file (new offsets) is seen within that time even without the
``reschedule`` signal. After downtime the next tick finds the missed points: the domain's
``next_step`` emits the most recent one late and records the others as skipped.
"""

from __future__ import annotations

import datetime as dt

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from submissions.workflows.activities import ClockActivities
    from submissions.workflows.types import OpenInput, TickInput, TickResult, WindowClockInput

MAX_SLEEP = dt.timedelta(days=1)
ACTIVITY_TIMEOUT = dt.timedelta(minutes=2)


def retry(request: WindowClockInput) -> RetryPolicy:
    """Retried until it works (the database may be down for days): the attempt that succeeds
    computes with its own time, so the missed points are then skipped, the latest sent late."""
    return RetryPolicy(
        initial_interval=dt.timedelta(seconds=1),
        backoff_coefficient=2.0,
        maximum_interval=dt.timedelta(seconds=request.retry_max_interval_seconds),
    )


@workflow.defn(name="submissions.WindowClock")
class WindowClockWorkflow:
    def __init__(self) -> None:
        self._poked = False

    @workflow.signal
    def reschedule(self) -> None:
        """The programme file changed: recompute the points now rather than at the next wake."""
        self._poked = True

    async def _sleep_until(self, at: dt.datetime) -> None:
        delay = min(max(at - workflow.now(), dt.timedelta(0)), MAX_SLEEP)
        self._poked = False
        try:
            await workflow.wait_condition(lambda: self._poked, timeout=delay)
        except TimeoutError:
            pass

    @workflow.run
    async def run(self, request: WindowClockInput) -> str:
        while True:
            opened = await workflow.execute_activity_method(
                ClockActivities.open_if_due,
                OpenInput(
                    programme_id=request.programme_id,
                    window=request.window,
                    year=request.year,
                    now=workflow.now(),
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=retry(request),
            )
            if opened.gone:
                return "window removed from the programme file"
            if opened.open:
                break
            await self._sleep_until(opened.opens_at)
        for _ in range(request.ticks_before_continue):
            step: TickResult = await workflow.execute_activity_method(
                ClockActivities.tick,
                TickInput(window_id=opened.window_id, now=workflow.now()),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=retry(request),
            )
            if step.locked:
                return "locked"
            await self._sleep_until(step.wake_at or workflow.now() + MAX_SLEEP)
            if workflow.info().is_continue_as_new_suggested():
                break
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(request)
