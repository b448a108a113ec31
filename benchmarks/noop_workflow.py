"""The baseline workflows of the awards benchmarks (their own module: the sandbox re-imports it).

Each baseline asks Temporal for what the side it is compared with asks, and does nothing with
it: ``NoopWorkflow`` starts and completes; ``NoopSignalledWorkflow`` waits for one signal (the
yearly evaluation's ``evaluate``); ``NoopUpdatedWorkflow`` takes as many updates as an
application's steps, answering each at once, and completes when told.
"""

from typing import Any

from temporalio import workflow


@workflow.defn(name="BenchNoop")
class NoopWorkflow:
    @workflow.run
    async def run(self) -> str:
        return "done"


@workflow.defn(name="BenchNoopSignalled")
class NoopSignalledWorkflow:
    def __init__(self) -> None:
        self._signalled = False

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self._signalled)
        return "done"

    @workflow.signal
    def evaluate(self, year: int) -> None:
        self._signalled = True


@workflow.defn(name="BenchNoopUpdated")
class NoopUpdatedWorkflow:
    def __init__(self) -> None:
        self._steps = 0
        self._finished = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self._finished)
        return self._steps

    @workflow.update
    async def step(self, body: dict[str, Any]) -> dict[str, Any]:
        self._steps += 1
        return {"step": self._steps}

    @workflow.signal
    def finish(self) -> None:
        self._finished = True
