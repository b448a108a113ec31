"""专项资金 per programme, year and reward kind, and the statistics-list facts (上规入统) the
subsidy needs. Both are created or replaced whole; ``precondition`` checks the caller's
If-Match against the current one while its row is locked, so a stale reading never overwrites
a newer one. Changes write their audit record in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

import asyncpg

from awards.db import rewards as sql
from awards.domain.rewards.budgets import Budget
from awards.domain.rewards.working import to_fen
from awards.handlers.rewards.access import may_set_facts, programme_named, province_of
from shared import audit
from shared.auth import Principal
from shared.http import catalogue
from shared.http.problems import ProblemError, not_found
from shared.i18n import t
from shared.programmes import Programme


async def budget_of(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    *,
    programme_id: str,
    year: int,
    kind: str,
) -> Budget:
    province_of(principal, programme_named(programmes, programme_id))
    async with pool.acquire() as connection:
        row = await connection.fetchrow(sql.BUDGET, programme_id, year, kind)
    if row is None:
        raise not_found(t("奖补预算", "reward budget"), f"{programme_id}/{year}/{kind}")
    return Budget.of(row)


async def budgets_of(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    *,
    programme_id: str,
    year: int | None,
) -> list[Budget]:
    province_of(principal, programme_named(programmes, programme_id))
    async with pool.acquire() as connection:
        return [Budget.of(row) for row in await connection.fetch(sql.BUDGETS, programme_id, year)]


async def set_budget(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    principal: Principal,
    *,
    programme_id: str,
    year: int,
    kind: str,
    amount: Decimal,
    precondition: Callable[[Budget | None], None],
) -> Budget:
    """专项资金 of a year for one reward kind; never below what is reserved and paid."""
    programme = programme_named(programmes, programme_id)
    province_of(principal, programme)
    async with pool.acquire() as connection, connection.transaction():
        current = await connection.fetchrow(sql.BUDGET_FOR_UPDATE, programme_id, year, kind)
        precondition(None if current is None else Budget.of(current))
        try:
            row = await connection.fetchrow(
                sql.UPSERT_BUDGET, programme_id, year, kind, to_fen(amount), principal.subject
            )
        except asyncpg.CheckViolationError as exc:
            raise ProblemError(
                catalogue.BUDGET_BELOW_COMMITMENTS,
                t(
                    "预算不得低于已预留和已支付的金额",
                    "the budget cannot be set below what is already reserved and paid",
                ),
            ) from exc
        result = Budget.of(row)
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action="set_budget",
            resource_type="reward_budget", resource_id=f"{programme_id}/{year}/{kind}",
            region_code=programme.jurisdiction, after=result.as_json(),
        )  # fmt: skip
    return result


async def statistics_fact(
    pool: asyncpg.Pool, principal: Principal, *, entity_id: str, year: int
) -> bool:
    """Whether the enterprise was 上规入统 in the year, as last said."""
    may_set_facts(principal)
    async with pool.acquire() as connection:
        in_list: bool | None = await connection.fetchval(sql.IN_STATISTICS_LIST, entity_id, year)
    if in_list is None:
        raise not_found(t("入统名单记录", "statistics-list fact"), f"{entity_id}/{year}")
    return in_list


async def set_statistics_fact(
    pool: asyncpg.Pool,
    principal: Principal,
    *,
    entity_id: str,
    year: int,
    in_statistics_list: bool,
    precondition: Callable[[bool | None], None],
) -> None:
    """上规入统 in a year from an outside statistics system (integrator) or the province, for
    enterprises whose listing does not go through the registry; the registry's own list
    arrives by its events (``keep_statistics_year``). The latest word holds."""
    may_set_facts(principal)
    async with pool.acquire() as connection, connection.transaction():
        current = await connection.fetchval(sql.IN_STATISTICS_LIST_FOR_UPDATE, entity_id, year)
        precondition(current)
        await connection.execute(
            sql.UPSERT_STATISTICS_YEAR, entity_id, year, in_statistics_list, principal.subject
        )
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action="set_statistics_year",
            resource_type="enterprise", resource_id=entity_id,
            after={"year": year, "in_statistics_list": in_statistics_list},
        )  # fmt: skip
