"""``/v1/reward-budgets`` (专项资金 per programme, year and reward kind) and the statistics-list
facts the subsidy needs (``/v1/reward-facts``). Changes write their audit record.

Both are created or replaced by PUT; replacing needs If-Match with the ETag a GET sent (the
tag of the representation: neither has a version column), so a budget set from a stale
reading is refused instead of overwriting the newer one."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Path, Query, Response

from awards.api.deps import Pool, Programmes
from awards.api.routes.rewards import KINDS, NOT_FOUND, REFUSED, programme_named, province_of
from awards.rewards import queries
from awards.rewards.schemas import BudgetPublic, BudgetSet, StatisticsYearSet
from awards.rewards.working import to_fen, yuan
from shared import audit
from shared.auth import CurrentPrincipal, Principal
from shared.auth.roles import Role
from shared.http import catalogue
from shared.http.etag import check_put_precondition, representation_etag
from shared.http.headers import ETAG, if_match_header, sends
from shared.http.problems import ProblemError, forbidden, not_found
from shared.i18n import t

router = APIRouter(tags=["rewards"])
BUDGET_PATH = "/v1/reward-budgets/{programme_id}/{year}/{kind}"
FACT_PATH = "/v1/reward-facts/enterprises/{entity_id}/statistics-years/{year}"
IF_MATCH = "The ETag you read, to replace one that exists (without it 428; stale 412)."


def _budget(row: asyncpg.Record) -> BudgetPublic:
    left = row["amount_fen"] - row["reserved_fen"] - row["paid_fen"]
    return BudgetPublic(
        programme_id=row["programme_id"], year=row["year"], kind=row["kind"],
        amount=yuan(row["amount_fen"]), reserved=yuan(row["reserved_fen"]),
        paid=yuan(row["paid_fen"]), left=yuan(left),
    )  # fmt: skip


async def _current_budget(
    connection: asyncpg.Connection, programme_id: str, year: int, kind: str, *, lock: bool
) -> BudgetPublic | None:
    """``lock``: the row lock holds the version an If-Match was compared with until commit."""
    sql = queries.BUDGET_FOR_UPDATE if lock else queries.BUDGET
    row = await connection.fetchrow(sql, programme_id, year, kind)
    return None if row is None else _budget(row)


@router.get(
    BUDGET_PATH, response_model=BudgetPublic, responses={404: NOT_FOUND[404], **sends(200, ETAG)}
)
async def budget(
    programme_id: Annotated[str, Path(max_length=100)],
    kind: Annotated[str, Path(pattern=KINDS)],
    year: Annotated[int, Path(ge=2000, le=2100)],
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
    response: Response,
) -> BudgetPublic:
    province_of(principal, programme_named(programmes, programme_id))
    async with pool.acquire() as connection:
        found = await _current_budget(connection, programme_id, year, kind, lock=False)
    if found is None:
        raise not_found(t("奖补预算", "reward budget"), f"{programme_id}/{year}/{kind}")
    response.headers["ETag"] = representation_etag(found)
    return found


@router.put(
    BUDGET_PATH,
    response_model=BudgetPublic,
    responses={**sends(200, ETAG), 404: REFUSED[404], 409: REFUSED[409]},
)
async def set_budget(
    programme_id: str,
    kind: Annotated[str, Path(pattern=KINDS)],
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: BudgetSet,
    principal: CurrentPrincipal,
    pool: Pool,
    programmes: Programmes,
    response: Response,
    if_match: str | None = if_match_header(description=IF_MATCH),
) -> BudgetPublic:
    """专项资金 of a year for one reward kind; never below what is reserved and paid."""
    programme = programme_named(programmes, programme_id)
    province_of(principal, programme)
    async with pool.acquire() as connection, connection.transaction():
        current = await _current_budget(connection, programme_id, year, kind, lock=True)
        check_put_precondition(if_match, None if current is None else representation_etag(current))
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
    response.headers["ETag"] = representation_etag(result)
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


def _may_set_facts(principal: Principal) -> None:
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


async def _current_fact(
    connection: asyncpg.Connection, entity_id: str, year: int, *, lock: bool
) -> StatisticsYearSet | None:
    sql = queries.IN_STATISTICS_LIST_FOR_UPDATE if lock else queries.IN_STATISTICS_LIST
    in_list = await connection.fetchval(sql, entity_id, year)
    return None if in_list is None else StatisticsYearSet(in_statistics_list=in_list)


@router.get(FACT_PATH, response_model=StatisticsYearSet, responses=sends(200, ETAG))
async def statistics_year(
    entity_id: Annotated[str, Path(min_length=1, max_length=100)],
    year: Annotated[int, Path(ge=2000, le=2100)],
    principal: CurrentPrincipal,
    pool: Pool,
    response: Response,
) -> StatisticsYearSet:
    _may_set_facts(principal)
    async with pool.acquire() as connection:
        found = await _current_fact(connection, entity_id, year, lock=False)
    if found is None:
        raise not_found(t("入统名单记录", "statistics-list fact"), f"{entity_id}/{year}")
    response.headers["ETag"] = representation_etag(found)
    return found


@router.put(FACT_PATH, response_model=StatisticsYearSet, responses=sends(200, ETAG))
async def set_statistics_year(
    entity_id: Annotated[str, Path(min_length=1, max_length=100)],
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: StatisticsYearSet,
    principal: CurrentPrincipal,
    pool: Pool,
    response: Response,
    if_match: str | None = if_match_header(description=IF_MATCH),
) -> StatisticsYearSet:
    """上规入统 in a year from an outside statistics system (integrator) or the province, for
    enterprises whose listing does not go through the registry; the registry's own list arrives
    by ``registry.enterprise.statistics_year_set`` (docs/rewards.md). The latest word holds."""
    _may_set_facts(principal)
    async with pool.acquire() as connection, connection.transaction():
        current = await _current_fact(connection, entity_id, year, lock=True)
        check_put_precondition(if_match, None if current is None else representation_etag(current))
        await connection.execute(
            queries.UPSERT_STATISTICS_YEAR, entity_id, year, body.in_statistics_list,
            principal.subject,
        )  # fmt: skip
        await audit.record_change(
            connection, actor=audit.Actor.of(principal), action="set_statistics_year",
            resource_type="enterprise", resource_id=entity_id,
            after={"year": year, "in_statistics_list": body.in_statistics_list},
        )  # fmt: skip
    response.headers["ETag"] = representation_etag(body)
    return body
