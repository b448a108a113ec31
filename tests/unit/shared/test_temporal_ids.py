"""The one scheme of workflow ids (shared.temporal.workflow_id)."""

from __future__ import annotations

import pytest

from shared.temporal import workflow_id


def test_the_ids_the_services_use_today() -> None:
    assert workflow_id("awards", "application", "app-1") == "awards-application-app-1"
    assert workflow_id("submissions", "window-clock", "w/2025") == "submissions-window-clock-w/2025"


@pytest.mark.parametrize(
    ("service", "kind", "key"),
    [("Awards", "application", "1"), ("awards", "", "1"), ("awards", "a_b", "1"), ("a", "b", "")],
)
def test_a_malformed_part_is_refused(service: str, kind: str, key: str) -> None:
    with pytest.raises(ValueError, match="workflow id"):
        workflow_id(service, kind, key)
