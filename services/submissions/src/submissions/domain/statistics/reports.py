"""A statistics report through the shared review flow (``submissions.domain.review``).

Reporter → city bureau → province, as for the annual report; two differences, both about
statistics: the report's period window (opens when the period ends, a first report is taken
until the lock), and a correction after acceptance (a new version that goes through review
again; the published sums keep the accepted figures until the correction is accepted).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from shared.i18n import china_time, t
from shared.programmes import Programme, Statistics
from submissions.domain import review
from submissions.domain.actors import Actor
from submissions.domain.errors import Refused
from submissions.domain.review import Report, ReportState
from submissions.domain.statistics.figures import ReporterKind
from submissions.domain.statistics.periods import PeriodKey, period_schedule
from submissions.domain.versions import Figure

CORRECTION = "correction after acceptance"


def reporter_refusal(
    programme: Programme, *, kind: ReporterKind, reporter_id: str, region_code: str
) -> Refused | None:
    """Whether this reporter belongs to the programme: a county bureau its county, a city
    bureau its city (both by code), an enterprise anywhere in the jurisdiction."""
    root = programme.jurisdiction
    inside = region_code[:2] == root[:2] if root.endswith("0000") else region_code[:4] == root[:4]
    if not inside:
        return Refused(
            "outside_jurisdiction",
            t("不在该规划的管辖范围内", "outside the programme's jurisdiction"),
            field="region_code",
        )
    if kind is ReporterKind.county and region_code.endswith("00"):
        return Refused(
            "wrong_level",
            t(
                "县级商务主管部门应以县级行政区划代码报送",
                "a county bureau reports a county-level code",
            ),
            field="region_code",
        )
    if kind is ReporterKind.city and (region_code[4:] != "00" or region_code[2:] == "0000"):
        return Refused(
            "wrong_level",
            t(
                "市级商务主管部门应以市级行政区划代码（PPCC00）报送",
                "a city bureau reports a city code (PPCC00)",
            ),
            field="region_code",
        )
    if kind is not ReporterKind.enterprise and reporter_id != region_code:
        return Refused(
            "wrong_reporter",
            t(
                "商务主管部门应以本级行政区划代码报送",
                "a bureau reports under its region code",
            ),
            field="reporter_id",
        )
    return None


def period_refusal(
    programme: Programme,
    statistics: Statistics,
    period: PeriodKey,
    *,
    now: dt.datetime,
    accepted_before: bool,
) -> Refused | None:
    """A first report is taken from the end of the period until the lock; a correction of an
    accepted report at any time (statistics are revised later). The year before the programme
    is taken too: it is the base of the first year's growth."""
    if not (programme.period.start.year - 1 <= period.year <= programme.period.end.year):
        return Refused(
            "outside_period",
            t(
                "报告期不在规划年度（含基期年）内",
                "outside the programme's years (and its base year)",
            ),
            field="period",
        )
    schedule = period_schedule(period, statistics.schedule.for_period(period.kind))
    if now < schedule.opens_at:
        opens = china_time(schedule.opens_at)
        return Refused(
            "window_not_open",
            t(
                f"该报告期数据自{opens.zh}起受理",
                f"the period's figures are taken from {opens.en}",
            ),
        )
    if now >= schedule.locks_at and not accepted_before:
        locks = china_time(schedule.locks_at)
        return Refused(
            "locked",
            t(f"该报告期已于{locks.zh}锁定", f"the period locked at {locks.en}"),
        )
    return None


def submit(
    report: Report, *, actor: Actor, at: dt.datetime, figures: Mapping[str, Figure]
) -> Report:
    """A new version; on an accepted report it is a correction, reviewed again from the start."""
    if report.state is not ReportState.accepted:
        return review.submit(report, actor=actor, at=at, figures=figures)
    reopened = dataclasses.replace(report, state=ReportState.returned_to_reporter)
    updated = review.submit(reopened, actor=actor, at=at, figures=figures)
    step = dataclasses.replace(
        updated.steps[-1], from_state=ReportState.accepted, reason=CORRECTION
    )
    return dataclasses.replace(updated, steps=(*updated.steps[:-1], step))
