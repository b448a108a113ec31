"""The suite does not depend on the day it runs: the pure rules and the workflow tests that
pin their server's clock pass with this machine's clock three years ahead.

``make test-ahead`` runs the whole suite so; this keeps the part of it that has had date
hazards (the rules, the notice calendar, the reporting and statistics clocks, a round from
submission to designation) under guard in every ``make test``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest

from tests.support.clock_ahead import clock_ahead_environment
from tests.support.stack import Stack

AHEAD = "+1096d"
# Under ``make test-ahead`` this whole run is already ahead: the guard would repeat it.
pytestmark = pytest.mark.skipif(
    "FAKETIME" in os.environ, reason="the whole suite runs ahead already (make test-ahead)"
)
GUARDED = [
    "tests/unit",
    "tests/integration/test_temporal_time_skipping.py",
    "tests/integration/awards/test_application_workflow.py",
    "tests/integration/submissions/test_deadline_clock.py",
    "tests/integration/submissions/test_statistics_clock.py",
]


def test_the_clock_really_moves_ahead_for_the_guarded_run() -> None:
    """The child's clock runs the offset ahead of this process's, whatever the date is."""
    child = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        env=clock_ahead_environment(AHEAD),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ahead = dt.timedelta(seconds=float(child) - time.time())
    assert dt.timedelta(days=1095) < ahead <= dt.timedelta(days=1096)


@pytest.mark.timeout(1500)
def test_the_date_sensitive_tests_pass_three_years_from_now(stack: Stack) -> None:
    del stack  # the run below uses the stack this session started, through the environment
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *GUARDED],
        env=clock_ahead_environment(AHEAD),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
