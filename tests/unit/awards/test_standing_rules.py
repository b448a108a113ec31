"""The yearly evaluation of a designation (004 三(三)), as pure rules: table tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from awards.domain.standing import ReportFacts, Standing, evaluate, re_evaluate, rectify_by
from shared.china_time import CHINA
from shared.programmes import load_programmes
from shared.programmes.standing import StandingThreshold

GRACE = dt.datetime(2024, 12, 18, tzinfo=CHINA)
BASE = (
    StandingThreshold(
        category="base", indicator="monthly_live_gmv", minimum=Decimal("15000000"), unit="cny"
    ),
)
ON_TIME = dt.datetime(2024, 12, 9, tzinfo=CHINA)


@pytest.mark.parametrize(
    ("report", "standing", "kinds"),
    [
        (ReportFacts(), Standing.warning, ["missing_report"]),
        (
            ReportFacts(ON_TIME, None),
            Standing.warning,
            ["missing_report"],
        ),  # submitted, not accepted
        (ReportFacts(ON_TIME, {"monthly_live_gmv": "15000000"}), Standing.good_standing, []),
        (
            ReportFacts(ON_TIME, {"monthly_live_gmv": "14999999.99"}),
            Standing.warning,
            ["below_threshold"],
        ),
        (ReportFacts(ON_TIME, {}), Standing.warning, ["below_threshold"]),
        (ReportFacts(GRACE, {"monthly_live_gmv": "2e7"}), Standing.warning, ["late_report"]),
        (
            ReportFacts(GRACE - dt.timedelta(seconds=1), {"monthly_live_gmv": "2e7"}),
            Standing.good_standing,
            [],
        ),
    ],
)
def test_the_yearly_evaluation(report: ReportFacts, standing: Standing, kinds: list[str]) -> None:
    outcome = evaluate(report, grace_until=GRACE, thresholds=BASE)
    assert outcome.standing is standing
    assert [f["kind"] for f in outcome.evidence()["findings"]] == kinds


@pytest.mark.parametrize(
    ("report", "standing"),
    [
        (ReportFacts(), Standing.revoked),
        (
            ReportFacts(GRACE + dt.timedelta(days=30), {"monthly_live_gmv": "16000000"}),
            Standing.good_standing,
        ),
        (ReportFacts(ON_TIME, {"monthly_live_gmv": "1"}), Standing.revoked),
    ],
)
def test_the_rectification_deadline(report: ReportFacts, standing: Standing) -> None:
    """A late report accepted within the period rectifies; a figure still low revokes."""
    assert re_evaluate(report, thresholds=BASE).standing is standing


def test_the_reason_names_what_was_found() -> None:
    outcome = evaluate(
        ReportFacts(ON_TIME, {"monthly_live_gmv": "10"}), grace_until=GRACE, thresholds=BASE
    )
    assert outcome.reason == "monthly_live_gmv 10 below 15000000 cny"
    assert rectify_by(dt.date(2025, 1, 1), 90) == dt.date(2025, 4, 1)


def test_the_thresholds_are_data_per_category_marked_as_defaults() -> None:
    root = Path(__file__).resolve().parents[3]
    guizhou = load_programmes(root / "shared" / "programmes")["guizhou-shibaiqianwan-2023"]
    managed = guizhou.dynamic_management
    assert managed is not None and managed.defaults is True
    assert {t.category for t in managed.thresholds} == {"park", "base", "enterprise", "team"}
    assert managed.reporting_window in {w.id for w in guizhou.reporting_windows}
