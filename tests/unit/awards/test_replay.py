"""Replays the histories recorded by the workflow tests (committed under ``histories/``)
against today's workflow code: a change that would break running applications fails here.

Re-record after an intended, patched change: ``AWARDS_RECORD_HISTORIES=1`` when running
``test_application_workflow.py``; the new files join the old ones, which must keep replaying.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from awards.workflows.designation import DesignationWorkflow
from awards.workflows.workflows import ApplicationWorkflow
from shared.temporal import data_converter
from tests.integration.awards.sandbox_checked import (
    SandboxCheckedApplication,
    SandboxCheckedDesignation,
)

# Recorded by tests/integration/awards/test_application_workflow.py and
# test_designation_workflow.py (the designation's last run, after two continue-as-new; the
# `_remote_activities` one from before its local activities, patched); the
# application histories from before the designation lifecycle (patched) replay without it, and
# the `_remote_step_activities` ones from before the steps' local activities (patched) replay
# with the steps' activities scheduled through the server; the `_separate_mark_scored` one from
# before a card's seat was marked scored in the score step's own write (patched) replays with a
# `mark_scored` local activity per card; the `_separate_result` one from before the last card and
# the evaluation's result were written by one activity (patched) replays with two; the
# `_separate_panel` one from before a panel was drawn by the activity that writes its step
# (patched) replays with a `draw_panel` and a `record_step` for each draw; the `_separate_notice`
# one from before an approval's notice was planned by the activity that writes the decision's
# step (patched) replays with a `plan_notice` and a `record_step`.
HISTORIES = sorted(
    (Path(__file__).resolve().parents[2] / "integration" / "awards" / "histories").glob("*.json")
)


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays_on_the_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    replayer = Replayer(
        workflows=[ApplicationWorkflow, DesignationWorkflow], data_converter=data_converter
    )
    await replayer.replay_workflow(history)


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays_with_the_sandbox_on(path: Path) -> None:
    """The worker runs both workflows unsandboxed; replayed under the sandbox's rules, a
    forbidden call on any recorded path (old patches' branches too) fails here."""
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    replayer = Replayer(
        workflows=[SandboxCheckedApplication, SandboxCheckedDesignation],
        data_converter=data_converter,
    )
    await replayer.replay_workflow(history)


def test_histories_are_committed() -> None:
    assert len(HISTORIES) >= 4
    assert any(p.stem.startswith("designation_") for p in HISTORIES)


def _local_activity_types(path: Path) -> list[str]:
    events = json.loads(path.read_text(encoding="utf-8"))["events"]
    return [
        json.loads(base64.b64decode(marker["details"]["data"]["payloads"][0]["data"]))[
            "activity_type"
        ]
        for e in events
        if e["eventType"] == "EVENT_TYPE_MARKER_RECORDED"
        and (marker := e["markerRecordedEventAttributes"])["markerName"] == "core_local_activity"
    ]


def test_application_histories_from_before_and_after_the_score_written_with_its_step() -> None:
    """Both kinds replay above: a card marked scored by a ``mark_scored`` local activity of its
    own (recorded before the patch), and by the score step's write (after it)."""
    applications = [p for p in HISTORIES if p.stem.startswith("designated_with_return_")]
    before = [p for p in applications if p.stem.endswith("_separate_mark_scored")]
    after = [p for p in applications if p not in before and "remote" not in p.stem]
    assert before and after
    for path in before:
        assert "awards.mark_scored" in _local_activity_types(path), path.stem
    for path in after:
        types = _local_activity_types(path)
        assert "awards.mark_scored" not in types and "awards.record_step" in types, path.stem


def test_application_histories_from_before_and_after_the_result_written_with_the_last_card() -> (
    None
):
    """Both kinds replay above: the last card and the evaluation's result written by one
    activity each (recorded before the patch), and by one ``record_steps`` (after it)."""
    applications = [p for p in HISTORIES if p.stem.startswith("designated_with_return_")]
    before = [p for p in applications if p.stem.endswith("_separate_result")]
    after = [p for p in applications if p.stem == "designated_with_return_conflict_objection"]
    assert before and after
    for path in before:
        assert "awards.record_steps" not in _local_activity_types(path), path.stem
    for path in after:
        assert _local_activity_types(path).count("awards.record_steps") == 1, path.stem


def test_application_histories_from_before_and_after_the_panel_drawn_with_its_step() -> None:
    """Both kinds replay above: a panel drawn by ``draw_panel`` and its step written by
    ``record_step`` (recorded before the patch), and both by ``draw_panel_with_step`` (after)."""
    applications = [p for p in HISTORIES if p.stem.startswith("designated_with_return_")]
    before = [p for p in applications if p.stem.endswith("_separate_panel")]
    after = [p for p in applications if p.stem == "designated_with_return_conflict_objection"]
    assert before and after
    for path in before:
        types = _local_activity_types(path)
        assert "awards.draw_panel" in types and "awards.draw_panel_with_step" not in types
    for path in after:
        types = _local_activity_types(path)
        assert "awards.draw_panel_with_step" in types and "awards.draw_panel" not in types


def test_application_histories_from_before_and_after_the_notice_planned_with_its_step() -> None:
    """Both kinds replay above: an approval's notice planned by ``plan_notice`` and the
    decision's step written by ``record_step`` (recorded before the patch), and both by
    ``plan_notice_with_step`` (after); the objection's pause and resume plan on their own."""
    applications = [p for p in HISTORIES if p.stem.startswith("designated_with_return_")]
    before = [p for p in applications if p.stem.endswith("_separate_notice")]
    after = [p for p in applications if p.stem == "designated_with_return_conflict_objection"]
    assert before and after
    for path in before:
        types = _local_activity_types(path)
        assert "awards.plan_notice_with_step" not in types, path.stem
        assert types.count("awards.plan_notice") == 3, path.stem  # approval, pause, resume
    for path in after:
        types = _local_activity_types(path)
        assert types.count("awards.plan_notice_with_step") == 1, path.stem
        assert types.count("awards.plan_notice") == 2, path.stem


def _activities(path: Path) -> tuple[set[str], int]:
    """A committed history's activities scheduled through the server, and its local ones."""
    events = json.loads(path.read_text(encoding="utf-8"))["events"]
    scheduled = {
        e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        for e in events
        if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"
    }
    local = sum(
        1
        for e in events
        if e["eventType"] == "EVENT_TYPE_MARKER_RECORDED"
        and e["markerRecordedEventAttributes"]["markerName"] == "core_local_activity"
    )
    return scheduled, local


def test_application_histories_from_before_and_after_the_local_step_activities() -> None:
    """Both kinds replay above: steps written by server activities (recorded before the patch)
    and by local activities (recorded after it)."""
    applications = [p for p in HISTORIES if not p.stem.startswith("designation_")]
    before = [p for p in applications if p.stem.endswith("_remote_step_activities")]
    after = [p for p in applications if p not in before and "lifecycle" not in p.stem]
    assert before and after
    for path in before:
        scheduled, local = _activities(path)
        assert "awards.record_step" in scheduled and local == 0, path.stem
    for path in after:
        scheduled, local = _activities(path)
        assert "awards.record_step" not in scheduled and local > 0, path.stem
