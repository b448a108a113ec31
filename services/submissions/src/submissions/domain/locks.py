"""Whether a window takes a report from a reporter now, and if not, exactly why.

DHIS2 says only "data set is locked"; here the refusal names the reason (not open yet, past its
grace, locked since…, not expected, already accepted, under review). The province can reopen a
locked window for one named reporter, with a reason and an end time: a lock exception that
expires by itself. Instants are the window's (004_9c19d9a85d8c1f73.txt 三(三): due 12月10日) and
the configurable grace and lock (docs/submissions.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shared.i18n import Text, china_time, t
from shared.programmes import WindowSchedule
from submissions.domain.actors import Actor, Role
from submissions.domain.deadlines import ReporterDeadlines, require_aware
from submissions.domain.errors import Refused, require_text
from submissions.domain.review import STATE_NAMES, ReportState
from submissions.domain.roster import RosterEntry


class RefusalReason(StrEnum):
    window_not_open = "window_not_open"
    past_grace = "past_grace"
    locked = "locked"
    not_expected = "not_expected"
    already_accepted = "already_accepted"
    under_review = "under_review"


@dataclass(frozen=True)
class SubmissionRefusal:
    reason: RefusalReason
    message: Text


@dataclass(frozen=True)
class LockException:
    """The province reopened the window for one reporter until ``ends_at`` (exclusive)."""

    designation_id: str
    granted_by: Actor
    reason: str
    starts_at: dt.datetime
    ends_at: dt.datetime

    def active(self, now: dt.datetime) -> bool:
        return self.starts_at <= now < self.ends_at


def reopen_for(
    *, designation_id: str, actor: Actor, at: dt.datetime, ends_at: dt.datetime, reason: str | None
) -> LockException:
    if actor.role is not Role.province:
        raise Refused(
            "forbidden", t("仅省商务厅可重新开放填报窗口", "only the province reopens a window")
        )
    text = require_text(reason, field="reason", what=t("重新开放填报窗口", "reopening a window"))
    if require_aware(ends_at, field="ends_at") <= require_aware(at, field="at"):
        raise Refused(
            "invalid_ends_at",
            t("重新开放的结束时间须晚于开始时间", "a reopening must end after it starts"),
            field="ends_at",
        )
    return LockException(designation_id, actor, text, at, ends_at)


def submission_refusal(
    *,
    schedule: WindowSchedule,
    entry: RosterEntry | None,
    deadlines: ReporterDeadlines,
    state: ReportState,
    has_submitted: bool,
    now: dt.datetime,
    exceptions: Iterable[LockException] = (),
) -> SubmissionRefusal | None:
    """``None`` when the report may be submitted now; otherwise the first reason that applies."""
    require_aware(now, field="now")
    if now < schedule.opens_at:
        opens = china_time(schedule.opens_at)
        return SubmissionRefusal(
            RefusalReason.window_not_open,
            t(f"填报窗口将于{opens.zh}开启", f"the window opens at {opens.en}"),
        )
    if entry is None or not entry.expected_at(now):
        return SubmissionRefusal(RefusalReason.not_expected, _not_expected(entry, schedule))
    if state is ReportState.accepted:
        return SubmissionRefusal(
            RefusalReason.already_accepted,
            t(
                "该报告已经省商务厅审核通过，不再受理修改",
                "the province has accepted this report; it is final",
            ),
        )
    if state in (ReportState.submitted, ReportState.recommended, ReportState.returned_to_city):
        waiting = (
            t("省商务厅", "the province")
            if state is ReportState.recommended
            else t("市（州）商务主管部门", "the city bureau")
        )
        return SubmissionRefusal(
            RefusalReason.under_review,
            t(
                f"该报告处于“{STATE_NAMES[state]}”状态，正待{waiting.zh}审核",
                f"the report is {state.value}, waiting for {waiting.en}",
            ),
        )
    if any(e.designation_id == entry.designation_id and e.active(now) for e in exceptions):
        return None
    if now >= deadlines.locks_at:
        locks = china_time(deadlines.locks_at)
        return SubmissionRefusal(
            RefusalReason.locked,
            t(f"填报窗口已于{locks.zh}锁定", f"the window locked at {locks.en}"),
        )
    if not has_submitted and now >= deadlines.grace_until:
        grace = china_time(deadlines.grace_until)
        return SubmissionRefusal(
            RefusalReason.past_grace,
            t(
                f"首次报送受理至{grace.zh}，宽限期已过；如需补报，请申请省商务厅为该报送主体"
                "重新开放填报窗口",
                f"first reports were taken until {grace.en}; ask the province "
                "to reopen the window for this reporter",
            ),
        )
    return None


def _not_expected(entry: RosterEntry | None, schedule: WindowSchedule) -> Text:
    window = f"{schedule.window_id} {schedule.year}"
    if entry is None:
        return t(
            f"该报送主体不在 {window} 填报窗口的应报名单中",
            f"this reporter is not on the roster of {window}",
        )
    if entry.expected_until is not None:
        until = china_time(entry.expected_until)
        return t(
            f"该报送主体的认定已撤销，自{until.zh}起无需在 {window} 填报窗口报送",
            f"not expected in {window} since {until.en} (designation revoked)",
        )
    since = china_time(entry.expected_from)
    return t(
        f"该报送主体自{since.zh}起方须在 {window} 填报窗口报送",
        f"not expected in {window} before {since.en}",
    )
