"""``/v1/reward-budgets`` (专项资金 per programme, year and reward kind) and the statistics-list
facts the subsidy needs (``/v1/reward-facts``). Changes write their audit record."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Path, Query

from awards.api.deps import Pool, Programmes
from awards.api.routes.rewards import KINDS, NOT_FOUND, REFUSED, programme_named, province_of
from awards.rewards import queries
from awards.rewards.schemas import BudgetPublic, BudgetSet, StatisticsYearSet
from awards.rewards.working import to_fen, yuan
from shared import audit
from shared.auth import CurrentPrincipal
from shared.auth.roles import Role
from shared.http import catalogue
from shared.http.problems import ProblemError, forbidden
from shared.i18n import t

router = APIRouter(tags=["rewards"])


def _budget(row: asyncpg.Record) -> BudgetPublic:
    left = row["amount_fen"] - row["reserved_fen"] - row["paid_fen"]
    return BudgetPublic(
        programme_id=row["programme_id"], year=row["year"], kind=row["kind"],
        amount=yuan(row["amount_fen"]), reserved=yuan(row["reserved_fen"]),
        paid=yuan(row["paid_fen"]), left=yuan(left),
    )  # fmt: skip


@router.put(
    "/v1/reward-budgets/{programme_id}/{year}/{kind}",
    response_model=BudgetPublic,
    responses=REFUSED,  # type: ignore[arg-type]
)
async def set_budget(
    programme_id: str,
    kind: Annotated[str, Path(pattern=KINDS)],
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: BudgetSet,
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
) -> BudgetPublic:
    """专项资金 of a year for one reward kind; never below what is reserved and paid."""
    programme = programme_named(programmes, programme_id)
    province_of(principal, programme)
    async with pool.acquire() as connection, connection.transaction():
        try:
            row = await connection.fetchrow(
                queries.UPSERT_BUDGET, programme_id, year, kind, to_fen(body.amount),
                principal.subject,
            )  # fmt: skip
        except asyncpg.CheckViolationError as exc:
            raise ProblemError(
                catalogue.BUDGET_BELOW_COMMITMENTS,
                t(
                    "预算不得低于已预留和已支付的金额",
                    "the budget cannot be set below what is already reserved and paid",
                ),
            ) from exc
        result = _budget(row)
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action="set_budget",
            resource_type="reward_budget", resource_id=f"{programme_id}/{year}/{kind}",
            region_code=programme.jurisdiction, after=result.model_dump(mode="json"),
        )  # fmt: skip
    return result


@router.get(
    "/v1/reward-budgets/{programme_id}",
    response_model=list[BudgetPublic],
    responses=NOT_FOUND,  # type: ignore[arg-type]
)
async def budgets(
    programme_id: Annotated[str, Path(max_length=100)],
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
    year: int | None = Query(default=None, ge=2000, le=2100),
) -> list[BudgetPublic]:
    province_of(principal, programme_named(programmes, programme_id))
    async with pool.acquire() as connection:
        return [_budget(row) for row in await connection.fetch(queries.BUDGETS, programme_id, year)]


@router.put(
    "/v1/reward-facts/enterprises/{entity_id}/statistics-years/{year}",
    response_model=StatisticsYearSet,
)
async def set_statistics_year(
    entity_id: Annotated[str, Path(min_length=1, max_length=100)],
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: StatisticsYearSet,
    principal: CurrentPrincipal,
    pool: Pool,
) -> StatisticsYearSet:
    """上规入统 in a year from an outside statistics system (integrator) or the province, for
    enterprises whose listing does not go through the registry; the registry's own list arrives
    by ``registry.enterprise.statistics_year_set`` (docs/rewards.md). The latest word holds."""
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
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            queries.UPSERT_STATISTICS_YEAR, entity_id, year, body.in_statistics_list,
            principal.subject,
        )  # fmt: skip
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action="set_statistics_year",
            resource_type="enterprise", resource_id=entity_id,
            after={"year": year, "in_statistics_list": body.in_statistics_list},
        )  # fmt: skip
    return body
