"""``/v1/reward-budgets`` (专项资金 per programme, year and reward kind) and the statistics-list
facts the subsidy needs (``/v1/reward-facts``). Changes write their audit record.

Both are created or replaced by PUT; replacing needs If-Match with the ETag a GET sent (the
tag of the representation: neither has a version column), so a budget set from a stale
reading is refused instead of overwriting the newer one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from awards.api.deps import Pool, Programmes
from awards.api.reward_schemas import (
    BudgetPublic,
    BudgetSet,
    StatisticsYearSet,
    budget_public,
)
from awards.api.routes.rewards import KINDS, NOT_FOUND, REFUSED
from awards.domain.rewards.budgets import Budget
from awards.handlers.rewards import budgets as use_cases
from shared.auth import CurrentPrincipal
from shared.http.etag import check_put_precondition, representation_etag
from shared.http.headers import ETAG, if_match_header, sends

router = APIRouter(tags=["rewards"])
BUDGET_PATH = "/v1/reward-budgets/{programme_id}/{year}/{kind}"
FACT_PATH = "/v1/reward-facts/enterprises/{entity_id}/statistics-years/{year}"
IF_MATCH = "The ETag you read, to replace one that exists (without it 428; stale 412)."


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
    found = budget_public(
        await use_cases.budget_of(
            pool, programmes, principal, programme_id=programme_id, year=year, kind=kind
        )
    )
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

    def precondition(current: Budget | None) -> None:
        tag = None if current is None else representation_etag(budget_public(current))
        check_put_precondition(if_match, tag)

    written = await use_cases.set_budget(
        pool, programmes, principal, programme_id=programme_id, year=year, kind=kind,
        amount=body.amount, precondition=precondition,
    )  # fmt: skip
    result = budget_public(written)
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
    found = await use_cases.budgets_of(
        pool, programmes, principal, programme_id=programme_id, year=year
    )
    return [budget_public(one) for one in found]


@router.get(FACT_PATH, response_model=StatisticsYearSet, responses=sends(200, ETAG))
async def statistics_year(
    entity_id: Annotated[str, Path(min_length=1, max_length=100)],
    year: Annotated[int, Path(ge=2000, le=2100)],
    principal: CurrentPrincipal,
    pool: Pool,
    response: Response,
) -> StatisticsYearSet:
    found = StatisticsYearSet(
        in_statistics_list=await use_cases.statistics_fact(
            pool, principal, entity_id=entity_id, year=year
        )
    )
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

    def precondition(current: bool | None) -> None:
        tag = (
            None
            if current is None
            else representation_etag(StatisticsYearSet(in_statistics_list=current))
        )
        check_put_precondition(if_match, tag)

    await use_cases.set_statistics_fact(
        pool, principal, entity_id=entity_id, year=year,
        in_statistics_list=body.in_statistics_list, precondition=precondition,
    )  # fmt: skip
    response.headers["ETag"] = representation_etag(body)
    return body
