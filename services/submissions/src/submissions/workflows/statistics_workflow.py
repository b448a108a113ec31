"""One statistics deadline clock per programme: tick (the activity emits what is due for every
open period), sleep to the next point, an opening or a lock, until every period has locked.

Deterministic only (STYLE.md): time is ``workflow.now()``, waiting is a timer; a timer never
sleeps longer than ``MAX_SLEEP``, so a changed programme file is seen within a day.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    import datetime as dt

    from submissions.workflows.statistics_activities import StatisticsClockActivities
    from submissions.workflows.types import (
        StatisticsClockInput,
        StatisticsTickInput,
        StatisticsTickResult,
    )

MAX_SLEEP = dt.timedelta(days=1)
ACTIVITY_TIMEOUT = dt.timedelta(minutes=2)


@workflow.defn(name="submissions.StatisticsClock")
class StatisticsClockWorkflow:
    @workflow.run
    async def run(self, request: StatisticsClockInput) -> str:
        # Retried until it works: the attempt that succeeds computes with its own time.
        retry = RetryPolicy(
            initial_interval=dt.timedelta(seconds=1),
            backoff_coefficient=2.0,
            maximum_interval=dt.timedelta(seconds=request.retry_max_interval_seconds),
        )
        for _ in range(request.ticks_before_continue):
            step: StatisticsTickResult = await workflow.execute_activity_method(
                StatisticsClockActivities.tick,
                StatisticsTickInput(programme_id=request.programme_id, now=workflow.now()),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=retry,
            )
            if step.finished:
                return "every period locked"
            wake_at = step.wake_at or workflow.now() + MAX_SLEEP
            await workflow.sleep(
                min(max(wake_at - workflow.now(), dt.timedelta(seconds=1)), MAX_SLEEP)
            )
            if workflow.info().is_continue_as_new_suggested():
                break
        workflow.continue_as_new(request)
