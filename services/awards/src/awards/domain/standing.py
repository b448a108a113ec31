"""The yearly evaluation of a designation (004_9c19d9a85d8c1f73.txt 三(三): 示范项目实行动态管理,
对运营不达标取消示范项目资格). Pure: the facts come in, an outcome with its evidence goes out.

At the evaluation (the reporting window has locked): no accepted report, a first report past
the grace period, or a figure below its category's threshold is a **warning** with a
rectification deadline (限期整改); otherwise **good standing**. At that deadline the same facts
are judged again: rectified → good standing, not → **revoked**. A major violation revokes at
once; it is not judged here (the province or a credit platform reports it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from shared.programmes.standing import StandingThreshold


class Standing(StrEnum):
    good_standing = "good_standing"
    warning = "warning"
    revoked = "revoked"


@dataclass(frozen=True)
class ReportFacts:
    """What awards knows of a designation's report for one window year (from submissions
    events): when it was first submitted, and the figures the province accepted."""

    first_submitted_at: dt.datetime | None = None
    accepted_figures: dict[str, str] | None = None


@dataclass(frozen=True)
class Finding:
    kind: str  # missing_report | late_report | below_threshold
    detail: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        if self.kind == "missing_report":
            return "no accepted annual report"
        if self.kind == "late_report":
            return f"first report after the grace period ({self.detail['grace_until']})"
        return (
            f"{self.detail['indicator']} {self.detail['value']} below "
            f"{self.detail['minimum']} {self.detail['unit']}"
        )


@dataclass(frozen=True)
class Outcome:
    standing: Standing
    findings: tuple[Finding, ...] = ()

    @property
    def reason(self) -> str:
        return "; ".join(f.describe() for f in self.findings) or "meets the programme's standard"

    def evidence(self) -> dict[str, Any]:
        return {"findings": [{"kind": f.kind, **f.detail} for f in self.findings]}


def findings(
    report: ReportFacts,
    *,
    grace_until: dt.datetime,
    thresholds: tuple[StandingThreshold, ...],
) -> tuple[Finding, ...]:
    if report.accepted_figures is None:
        return (Finding("missing_report"),)
    found: list[Finding] = []
    if report.first_submitted_at is not None and report.first_submitted_at >= grace_until:
        found.append(
            Finding(
                "late_report",
                {
                    "first_submitted_at": report.first_submitted_at.isoformat(),
                    "grace_until": grace_until.isoformat(),
                },
            )
        )
    for threshold in thresholds:
        value = _decimal(report.accepted_figures.get(threshold.indicator))
        if value is None or value < threshold.minimum:
            found.append(
                Finding(
                    "below_threshold",
                    {
                        "indicator": threshold.indicator,
                        "value": None if value is None else str(value),
                        "minimum": str(threshold.minimum),
                        "unit": threshold.unit,
                    },
                )
            )
    return tuple(found)


def evaluate(
    report: ReportFacts, *, grace_until: dt.datetime, thresholds: tuple[StandingThreshold, ...]
) -> Outcome:
    """The yearly evaluation: good standing, or a warning with what was found."""
    found = findings(report, grace_until=grace_until, thresholds=thresholds)
    return Outcome(Standing.warning if found else Standing.good_standing, found)


def re_evaluate(report: ReportFacts, *, thresholds: tuple[StandingThreshold, ...]) -> Outcome:
    """At the rectification deadline: a report now accepted whose figures meet the thresholds
    is rectified (its lateness is what the warning was about); otherwise revoked."""
    late_is_rectified = dt.datetime.max.replace(tzinfo=dt.UTC)
    found = findings(report, grace_until=late_is_rectified, thresholds=thresholds)
    return Outcome(Standing.revoked if found else Standing.good_standing, found)


def rectify_by(warned_on: dt.date, rectification_days: int) -> dt.date:
    """The last day of the rectification period (China time), counted from the warning."""
    return warned_on + dt.timedelta(days=rectification_days)


def _decimal(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None
