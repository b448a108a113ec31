"""A locked window takes nothing and says why; the province can reopen it for one reporter."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.programmes import WindowSchedule
from submissions.domain.deadlines import reporter_deadlines
from submissions.domain.errors import Refused
from submissions.domain.locks import (
    RefusalReason,
    SubmissionRefusal,
    reopen_for,
    submission_refusal,
)
from submissions.domain.review import ReportState
from submissions.domain.roster import Designation, freeze_roster, remove_revoked
from tests.unit.submissions.conftest import GUIYANG, PROVINCE, cst

PARK = Designation("d-park", "e-park", "park", "520102", dt.date(2024, 3, 1))


def _refusal(schedule: WindowSchedule, now: dt.datetime, **kw) -> SubmissionRefusal | None:  # type: ignore[no-untyped-def]
    roster = kw.pop("roster", None) or freeze_roster(
        schedule, categories=["park"], designations_in_force=[PARK]
    )
    entry = roster.entry(kw.pop("designation_id", "d-park"))
    return submission_refusal(
        schedule=schedule,
        entry=entry,
        deadlines=reporter_deadlines(schedule, due_at=kw.pop("due_at", schedule.due_at)),
        state=kw.pop("state", ReportState.draft),
        has_submitted=kw.pop("has_submitted", False),
        now=now,
        **kw,
    )


@pytest.mark.parametrize(
    ("now", "state", "has_submitted", "reason"),
    [
        (cst(2025, 10, 31, 23, 59), ReportState.draft, False, RefusalReason.window_not_open),
        (cst(2025, 11, 1), ReportState.draft, False, None),
        (cst(2025, 12, 10, 23, 59, 59), ReportState.draft, False, None),
        (cst(2025, 12, 17, 23, 59, 59), ReportState.draft, False, None),  # late, within grace
        (cst(2025, 12, 18), ReportState.draft, False, RefusalReason.past_grace),
        (cst(2025, 12, 20), ReportState.returned_to_reporter, True, None),  # correction after grace
        (cst(2026, 1, 1), ReportState.returned_to_reporter, True, RefusalReason.locked),
        (cst(2025, 12, 1), ReportState.accepted, True, RefusalReason.already_accepted),
        (cst(2025, 12, 1), ReportState.submitted, True, RefusalReason.under_review),
        (cst(2025, 12, 1), ReportState.recommended, True, RefusalReason.under_review),
    ],
)
def test_each_refusal_names_its_reason(
    schedule: WindowSchedule,
    now: dt.datetime,
    state: ReportState,
    has_submitted: bool,
    reason: RefusalReason | None,
) -> None:
    refusal = _refusal(schedule, now, state=state, has_submitted=has_submitted)
    assert (refusal.reason if refusal else None) is reason


def test_the_lock_message_gives_the_china_time(schedule: WindowSchedule) -> None:
    refusal = _refusal(
        schedule, cst(2026, 1, 2), has_submitted=True, state=ReportState.returned_to_reporter
    )
    assert refusal is not None and "2026-01-01 00:00:00 +08:00" in refusal.message.en
    assert refusal.message.zh == "填报窗口已于2026年1月1日 00:00:00（北京时间）锁定"


def test_not_expected_says_why(schedule: WindowSchedule) -> None:
    roster = freeze_roster(schedule, categories=["park"], designations_in_force=[PARK])
    roster = remove_revoked(roster, "d-park", at=cst(2025, 11, 20))
    refusal = _refusal(schedule, cst(2025, 11, 21), roster=roster)
    assert refusal is not None and refusal.reason is RefusalReason.not_expected
    assert "designation revoked" in refusal.message.en
    assert "认定已撤销" in refusal.message.zh
    unknown = _refusal(schedule, cst(2025, 11, 21), designation_id="d-none")
    assert unknown is not None and "not on the roster" in unknown.message.en
    assert "应报名单" in unknown.message.zh


def test_a_reopening_for_one_reporter_expires_by_itself(schedule: WindowSchedule) -> None:
    exception = reopen_for(
        designation_id="d-park",
        actor=PROVINCE,
        at=cst(2026, 1, 5),
        ends_at=cst(2026, 1, 8),
        reason="系统故障补报",
    )
    assert _refusal(schedule, cst(2026, 1, 6), exceptions=[exception]) is None
    after = _refusal(schedule, cst(2026, 1, 8), exceptions=[exception])
    assert after is not None and after.reason is RefusalReason.locked
    # another reporter's exception does not open the window for this one
    other = reopen_for(
        designation_id="d-x",
        actor=PROVINCE,
        at=cst(2026, 1, 5),
        ends_at=cst(2026, 1, 8),
        reason="x",
    )
    assert _refusal(schedule, cst(2026, 1, 6), exceptions=[other]) is not None
    # an accepted report stays final even inside a reopening
    accepted = _refusal(
        schedule, cst(2026, 1, 6), exceptions=[exception], state=ReportState.accepted
    )
    assert accepted is not None and accepted.reason is RefusalReason.already_accepted


def test_only_the_province_reopens_with_a_reason_and_an_end() -> None:
    with pytest.raises(Refused, match="only the province"):
        reopen_for(
            designation_id="d",
            actor=GUIYANG,
            at=cst(2026, 1, 5),
            ends_at=cst(2026, 1, 8),
            reason="x",
        )
    with pytest.raises(Refused, match="written reason"):
        reopen_for(
            designation_id="d",
            actor=PROVINCE,
            at=cst(2026, 1, 5),
            ends_at=cst(2026, 1, 8),
            reason="",
        )
    with pytest.raises(Refused, match="end after"):
        reopen_for(
            designation_id="d",
            actor=PROVINCE,
            at=cst(2026, 1, 5),
            ends_at=cst(2026, 1, 5),
            reason="x",
        )


def test_an_extension_moves_grace_and_lock_for_that_reporter(schedule: WindowSchedule) -> None:
    assert _refusal(schedule, cst(2025, 12, 20), due_at=cst(2025, 12, 16)) is None
    late = _refusal(schedule, cst(2025, 12, 23), due_at=cst(2025, 12, 16))
    assert late is not None and late.reason is RefusalReason.past_grace
