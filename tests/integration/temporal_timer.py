"""A workflow that waits a long time, for the time-skipping test (imported by the sandbox)."""

from datetime import timedelta

from temporalio import workflow


@workflow.defn
class ThirtyDayReminderWorkflow:
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(timedelta(days=30))
        return "reminded"
