"""Who may act on rewards, the programme a request names, and a ledger refusal as the problem
the API answers with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import asyncpg

from awards.handlers.rewards.ledger import LedgerRefusal
from shared.auth import Principal
from shared.auth.roles import Role
from shared.auth.scope import may_keep_for_province
from shared.http.problems import ProblemError, forbidden, not_found
from shared.i18n import t
from shared.programmes import Programme

Result = TypeVar("Result")

# Runs in the use case's transaction with its result, after its writes and its audit record:
# the route claims its Idempotency-Key there, so "this key was applied" commits with the change.
BeforeCommit = Callable[[asyncpg.Connection, Result], Awaitable[None]]


def keeps_rewards_of(principal: Principal, programme: Programme) -> bool:
    """Whether the caller is the province the programme's rewards belong to."""
    return may_keep_for_province(principal, region_code=programme.jurisdiction)


def province_of(principal: Principal, programme: Programme) -> None:
    if not keeps_rewards_of(principal, programme):
        raise forbidden(
            t(
                "奖补由规划所属省份的省商务厅办理",
                "rewards are the province's (省商务厅) of the programme's jurisdiction",
            )
        )


def programme_named(programmes: Mapping[str, Programme], programme_id: str) -> Programme:
    if programme_id not in programmes:
        raise not_found(t("规划", "programme"), programme_id)
    return programmes[programme_id]


def may_set_facts(principal: Principal) -> None:
    allowed = Role.province_admin in principal.roles or (
        Role.integrator in principal.roles and "write" in principal.grants
    )
    if not allowed:
        raise forbidden(
            t(
                "入统名单来自统计系统或省厅",
                "the statistics list comes from the statistics system or the province",
            )
        )


def refused(refusal: LedgerRefusal, *, extra: dict[str, Any] | None = None) -> ProblemError:
    """The refusal's kind and words; ``extra`` members when the route's answer names them."""
    return ProblemError(refusal.kind, refusal.detail, extra=extra)
