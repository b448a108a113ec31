"""Extensions: requested with a reason by the reporter or its city bureau; the province decides."""

from __future__ import annotations

import pytest

from submissions.domain.errors import Refused
from submissions.domain.extensions import (
    ExtensionStatus,
    extended_due_at,
    grant_extension,
    refuse_extension,
    request_extension,
)
from tests.unit.submissions.conftest import GUIYANG, PROVINCE, REPORTER, ZUNYI, cst

DUE = cst(2025, 12, 11)


def _request(actor=REPORTER, reason: str | None = "服务器故障,数据未能汇总"):  # type: ignore[no-untyped-def]
    return request_extension(
        id="ext-1",
        designation_id="d-1",
        entity_id="entity-1",
        city_code="520100",
        actor=actor,
        at=cst(2025, 12, 8, 9),
        reason=reason,
        current_due_at=DUE,
    )


def test_request_then_grant_moves_the_due_time() -> None:
    request = _request()
    assert request.status is ExtensionStatus.requested
    granted = grant_extension(
        request,
        actor=PROVINCE,
        at=cst(2025, 12, 9),
        new_due_at=cst(2025, 12, 16),
        current_due_at=DUE,
    )
    assert (granted.status, granted.new_due_at, granted.decided_by) == (
        ExtensionStatus.granted,
        cst(2025, 12, 16),
        PROVINCE,
    )
    assert extended_due_at(DUE, [request, granted]) == cst(2025, 12, 16)


def test_the_city_bureau_may_ask_for_its_reporter() -> None:
    assert _request(actor=GUIYANG).requested_by == GUIYANG


@pytest.mark.parametrize(
    ("actor", "reason", "code"),
    [
        (REPORTER, "  ", "reason_required"),
        (ZUNYI, "原因", "forbidden"),  # another city's bureau
        (PROVINCE, "原因", "forbidden"),  # the province decides, it does not ask
    ],
)
def test_bad_requests(actor, reason, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused) as caught:
        _request(actor=actor, reason=reason)
    assert caught.value.code == code


def test_only_the_province_decides_once_and_a_refusal_has_a_reason() -> None:
    request = _request()
    with pytest.raises(Refused, match="only the province"):
        refuse_extension(request, actor=GUIYANG, at=cst(2025, 12, 9), reason="不同意")
    with pytest.raises(Refused) as caught:
        refuse_extension(request, actor=PROVINCE, at=cst(2025, 12, 9), reason="")
    assert caught.value.field == "reason"
    refused = refuse_extension(request, actor=PROVINCE, at=cst(2025, 12, 9), reason="理由不充分")
    assert refused.status is ExtensionStatus.refused
    assert extended_due_at(DUE, [refused]) == DUE
    with pytest.raises(Refused, match="already refused"):
        grant_extension(
            refused,
            actor=PROVINCE,
            at=cst(2025, 12, 9),
            new_due_at=cst(2025, 12, 20),
            current_due_at=DUE,
        )


def test_a_grant_must_move_the_due_time_later() -> None:
    with pytest.raises(Refused) as caught:
        grant_extension(
            _request(), actor=PROVINCE, at=cst(2025, 12, 9), new_due_at=DUE, current_due_at=DUE
        )
    assert caught.value.field == "new_due_at"
