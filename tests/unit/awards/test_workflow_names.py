"""The names the handlers reach the workflows by (``awards.workflows.types``) are the ones the
workflows declare: a renamed method would leave the handlers calling an update, a signal or an
activity that running workflows do not have."""

from __future__ import annotations

from temporalio import activity, workflow

from awards.workflows import types
from awards.workflows.activities import DesignationActivities
from awards.workflows.designation import DesignationWorkflow
from awards.workflows.workflows import ApplicationWorkflow


def test_the_application_workflow_answers_to_the_names_the_handlers_use() -> None:
    definition = workflow._Definition.must_from_class(ApplicationWorkflow)
    assert definition.name == types.APPLICATION_WORKFLOW == "AwardsApplication"
    assert {types.SUBMIT, types.TAKE_STEP} <= set(definition.updates)


def test_the_designation_workflow_answers_to_the_names_the_handlers_use() -> None:
    definition = workflow._Definition.must_from_class(DesignationWorkflow)
    assert definition.name == types.DESIGNATION_WORKFLOW == "AwardsDesignation"
    assert {types.REPORT_VIOLATION, types.REINSTATE} <= set(definition.updates)
    assert types.EVALUATE in definition.signals


def test_the_lifecycle_activity_is_registered_under_the_name_the_workflow_calls() -> None:
    start = DesignationActivities.start_designation_lifecycle
    assert activity._Definition.must_from_callable(start).name == types.START_DESIGNATION_LIFECYCLE
