"""The baseline workflow of the awards benchmark (its own module: the sandbox re-imports it)."""

from temporalio import workflow


@workflow.defn(name="BenchNoop")
class NoopWorkflow:
    @workflow.run
    async def run(self) -> str:
        return "done"
