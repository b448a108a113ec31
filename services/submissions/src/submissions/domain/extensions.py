"""Extensions of the due time: requested with a reason, granted with a new due time, or refused.

The 12-10 rule (004_9c19d9a85d8c1f73.txt 三(三)) names no extensions; asking through the city
bureau and deciding at the province follows the document's reporting line (报送 via 市州 to
省商务厅). A reporter or its city bureau requests; only the province decides. Each step keeps its
actor, time and reason, for the audit trail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shared.i18n import t
from submissions.domain.actors import Actor, Role
from submissions.domain.deadlines import require_aware
from submissions.domain.errors import Refused, require_text


class ExtensionStatus(StrEnum):
    requested = "requested"
    granted = "granted"
    refused = "refused"


@dataclass(frozen=True)
class ExtensionRequest:
    id: str
    designation_id: str
    requested_by: Actor
    requested_at: dt.datetime
    reason: str
    requested_due_at: dt.datetime | None = None
    status: ExtensionStatus = ExtensionStatus.requested
    decided_by: Actor | None = None
    decided_at: dt.datetime | None = None
    decision_reason: str | None = None
    new_due_at: dt.datetime | None = None


def request_extension(
    *,
    id: str,
    designation_id: str,
    entity_id: str,
    city_code: str,
    actor: Actor,
    at: dt.datetime,
    reason: str | None,
    current_due_at: dt.datetime,
    requested_due_at: dt.datetime | None = None,
) -> ExtensionRequest:
    if actor.role is Role.province or not actor.speaks_for(
        entity_id=entity_id, city_code=city_code
    ):
        raise Refused(
            "forbidden",
            t(
                "延期申请须由报送主体或其所在市（州）商务主管部门提出",
                "an extension is requested by the reporter or its city bureau",
            ),
        )
    text = require_text(reason, field="reason", what=t("延期申请", "an extension request"))
    if requested_due_at is not None and requested_due_at <= current_due_at:
        raise Refused(
            "invalid_due_at",
            t(
                "申请的报送截止时间须晚于现行截止时间",
                "the requested due time must be later than the current one",
            ),
            field="requested_due_at",
        )
    return ExtensionRequest(
        id=id,
        designation_id=designation_id,
        requested_by=actor,
        requested_at=require_aware(at, field="at"),
        reason=text,
        requested_due_at=requested_due_at,
    )


def grant_extension(
    request: ExtensionRequest,
    *,
    actor: Actor,
    at: dt.datetime,
    new_due_at: dt.datetime,
    current_due_at: dt.datetime,
    reason: str | None = None,
) -> ExtensionRequest:
    _decidable(request, actor)
    require_aware(new_due_at, field="new_due_at")
    if new_due_at <= current_due_at:
        raise Refused(
            "invalid_due_at",
            t(
                "新的报送截止时间须晚于现行截止时间",
                "the new due time must be later than the current one",
            ),
            field="new_due_at",
        )
    return dataclasses.replace(
        request,
        status=ExtensionStatus.granted,
        decided_by=actor,
        decided_at=require_aware(at, field="at"),
        decision_reason=(reason or "").strip() or None,
        new_due_at=new_due_at,
    )


def refuse_extension(
    request: ExtensionRequest, *, actor: Actor, at: dt.datetime, reason: str | None
) -> ExtensionRequest:
    _decidable(request, actor)
    text = require_text(reason, field="reason", what=t("不予延期", "refusing an extension"))
    return dataclasses.replace(
        request,
        status=ExtensionStatus.refused,
        decided_by=actor,
        decided_at=require_aware(at, field="at"),
        decision_reason=text,
    )


def extended_due_at(base_due_at: dt.datetime, requests: Iterable[ExtensionRequest]) -> dt.datetime:
    """The latest granted due time, or the base one; refused and open requests change nothing."""
    granted = [
        r.new_due_at for r in requests if r.status is ExtensionStatus.granted and r.new_due_at
    ]
    return max([base_due_at, *granted])


def _decidable(request: ExtensionRequest, actor: Actor) -> None:
    if actor.role is not Role.province:
        raise Refused(
            "forbidden",
            t("仅省商务厅可批准或驳回延期申请", "only the province grants or refuses an extension"),
        )
    if request.status is not ExtensionStatus.requested:
        decided = "批准" if request.status is ExtensionStatus.granted else "驳回"
        raise Refused(
            "already_decided",
            t(f"该延期申请已被{decided}", f"the extension request was already {request.status}"),
        )
