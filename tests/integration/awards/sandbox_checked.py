"""The application and designation workflows as the sandbox would run them, for the tests.

``ApplicationWorkflow`` and ``DesignationWorkflow`` run unsandboxed in the worker (their modules
say why). These subclasses are the same code with the sandbox on: the sandbox imports this
module, and with it the workflows' own modules (and ``application_steps``), afresh under its
restrictions, so a clock, file, network or random call in the workflows' code fails the run.
They add nothing else (``run`` must be redeclared to be a run)."""

from __future__ import annotations

from temporalio import workflow

from awards.workflows.designation import DesignationWorkflow  # re-imported, under the rules
from awards.workflows.workflows import ApplicationWorkflow  # re-imported, under the rules

with workflow.unsafe.imports_passed_through():  # as the workflows' modules take them
    from awards.workflows.types import (
        ApplicationStart,
        ApplicationState,
        DesignationStart,
        DesignationState,
    )


@workflow.defn(name="AwardsDesignation", sandboxed=True)
class SandboxCheckedDesignation(DesignationWorkflow):
    @workflow.run
    async def run(self, start: DesignationStart) -> DesignationState:
        return await super().run(start)


@workflow.defn(name="AwardsApplication", sandboxed=True)
class SandboxCheckedApplication(ApplicationWorkflow):
    @workflow.run
    async def run(self, start: ApplicationStart) -> ApplicationState:
        return await super().run(start)
