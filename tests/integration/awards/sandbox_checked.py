"""The designation workflow as the sandbox would run it, for one test.

``DesignationWorkflow`` runs unsandboxed in the worker (see its module). This subclass is the
same code with the sandbox on: the sandbox imports this module, and with it the workflow's own
module, afresh under its restrictions, so a clock, file, network or random call in the
workflow's code fails the run. It adds nothing else (``run`` must be redeclared to be a run)."""

from __future__ import annotations

from temporalio import workflow

from awards.workflows.designation import DesignationWorkflow  # re-imported, under the rules

with workflow.unsafe.imports_passed_through():  # as the workflow's module takes them
    from awards.workflows.types import DesignationStart, DesignationState


@workflow.defn(name="AwardsDesignation", sandboxed=True)
class SandboxCheckedDesignation(DesignationWorkflow):
    @workflow.run
    async def run(self, start: DesignationStart) -> DesignationState:
        return await super().run(start)
