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

# Recorded by tests/integration/awards/test_application_workflow.py and
# test_designation_workflow.py (the designation's last run, after two continue-as-new; the
# `_remote_activities` one from before its local activities, patched); the
# application histories from before the designation lifecycle (patched) replay without it, and
# the `_remote_step_activities` ones from before the steps' local activities (patched) replay
# with the steps' activities scheduled through the server; the `_separate_mark_scored` one from
# before a card's seat was marked scored in the score step's own write (patched) replays with a
# `mark_scored` local activity per card.
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
