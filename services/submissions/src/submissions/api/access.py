"""The caller as the domain's actor, from the one scope module's answers (``shared.auth.scope``).

A record the caller may not see is absent (404); one it sees but may not act on is 403.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.auth import Principal
from shared.auth.scope import (
    may_administer_windows,
    may_see_report,
    read_visibility,
    region_like_pattern,
    reporting_role,
)
from shared.http.problems import forbidden, not_found
from shared.i18n import t
from submissions.api.errors import noun
from submissions.domain.actors import Actor, Role
from submissions.handlers.common import Scope


def scope_of(principal: Principal) -> Scope:
    """What the caller may read, as the lists' statements take it."""
    visibility = read_visibility(principal)
    return Scope(
        visibility.everything,
        [region_like_pattern(r) for r in visibility.region_roots],
        sorted(visibility.enterprise_ids),
    )


def sees(principal: Principal, row: Mapping[str, Any]) -> bool:
    return may_see_report(principal, region_code=row["region_code"], entity_id=row["entity_id"])


def visible_or_404(principal: Principal, row: Mapping[str, Any] | None, what: str, key: str) -> Any:
    if row is None or not sees(principal, row):
        raise not_found(noun(what), key)
    return row


def actor_for(principal: Principal, row: Mapping[str, Any]) -> Actor:
    """``row`` holds the reporter's ``region_code`` and ``entity_id`` (a roster entry, a report)."""
    visible_or_404(principal, row, "reporter", str(row.get("designation_id", "")))
    role = reporting_role(principal, region_code=row["region_code"], entity_id=row["entity_id"])
    if role is None:
        raise forbidden(
            t(
                "您可查阅这些报告，但不能对其操作",
                "this caller reads these reports but does not act on them",
            )
        )
    return Actor(
        id=principal.subject,
        role=Role(role),
        entity_id=row["entity_id"] if role == "reporter" else None,
        region_code=row["city_code"] if role == "city_bureau" else principal.region_code,
    )


def province_actor(principal: Principal, *, jurisdiction: str) -> Actor:
    if not may_administer_windows(principal, jurisdiction=jurisdiction):
        raise forbidden(t("仅省厅管理填报窗口", "only the province administers windows"))
    return Actor(id=principal.subject, role=Role.province, region_code=principal.region_code)
