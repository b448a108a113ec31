"""``/v1/statistics``: periodic figures of county and city bureaus and monitored enterprises,
reviewed by the city and accepted by the province; the published sums (docs/statistics.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import asyncpg
from fastapi import APIRouter, Path, Query, Request, Response, status

from shared.auth import CurrentPrincipal, Principal
from shared.auth.scope import may_see_region, may_see_report, statistics_roles
from shared.http.idempotency import claim_idempotency_key
from shared.http.problems import ProblemError, forbidden, not_found
from shared.programmes import Programme
from submissions.api.deps import Ctx, Now, Pool
from submissions.api.errors import problem_for
from submissions.api.schemas import CityReview, ProvinceReview
from submissions.api.statistics_schemas import (
    CompletenessCount,
    ReconciliationPublic,
    StatisticsPublic,
    StatisticsReportPublic,
    StatisticsRowPublic,
    StatisticsStepPublic,
    StatisticsSubmit,
)
from submissions.db import statistics_queries as queries
from submissions.domain.actors import Actor, Role
from submissions.domain.errors import Refused
from submissions.domain.review import Action
from submissions.handlers.common import Context, NotFound
from submissions.handlers.statistics import (
    InvalidFigures,
    ReportKey,
    figures_in_force,
    period_of,
    review_statistics,
    submit_statistics,
)
from submissions.statistics.figures import ReporterKind
from submissions.statistics.periods import period_schedule
from submissions.statistics.published import published_rows

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])
REPORT = "/reports/{programme_id}/{period}/{reporter_id}"
PROGRAMME = Path(min_length=1, max_length=100)
PERIOD = Path(min_length=4, max_length=7, description="2025-01, 2025-Q1 or 2025")
REPORTER = Path(
    pattern=r"^[A-Za-z0-9_-]{1,64}$", description="a bureau's region code or the enterprise id"
)
# Refusals that say the request is wrong (422); the others conflict with the state (409).
INVALID = frozenset(
    {"invalid_period", "outside_jurisdiction", "wrong_level", "wrong_reporter", "outside_period"}
)
CITY = {"return": Action.city_return, "recommend": Action.city_recommend}
PROVINCE = {
    "accept": Action.province_accept,
    "return_to_city": Action.province_return_to_city,
    "return_to_reporter": Action.province_return_to_reporter,
}


def statistics_problem(exc: Exception) -> ProblemError:
    if isinstance(exc, InvalidFigures):
        return ProblemError(
            status=422,
            title="Invalid statistics figures",
            detail="; ".join(f"{e.field}: {e.message}" for e in exc.errors),
            extra={
                "errors": [
                    {
                        "field": f"body.{e.field}"
                        if e.field == "figures"
                        else f"body.figures.{e.field}",
                        "message": e.message,
                        "type": e.code,
                    }
                    for e in exc.errors
                ]
            },
        )
    if isinstance(exc, Refused) and exc.code in INVALID:
        field = exc.field if exc.field in ("period", "reporter_id") else f"body.{exc.field}"
        return ProblemError(
            status=422,
            title="Validation failed",
            detail=exc.reason,
            extra={"errors": [{"field": field, "message": exc.reason, "type": exc.code}]},
        )
    return problem_for(exc)


HANDLED = (InvalidFigures, Refused, NotFound)


async def _report(
    pool: asyncpg.Pool, row: Mapping[str, Any], *, steps: bool
) -> StatisticsReportPublic:
    versions = await pool.fetch(queries.VERSIONS, row["id"])
    figures = json.loads(versions[-1]["figures"]) if versions else {}
    found = None
    if steps:
        found = [
            StatisticsStepPublic(**{**dict(s), "field_comments": json.loads(s["field_comments"])})
            for s in await pool.fetch(queries.STEPS, row["id"])
        ]
    fields = {k: row[k] for k in StatisticsReportPublic.model_fields if k in row}
    return StatisticsReportPublic(**fields, figures=figures, steps=found)


def _visible(
    principal: Principal, row: Mapping[str, Any] | None, reporter_id: str
) -> Mapping[str, Any]:
    if row is None or not may_see_report(
        principal, region_code=row["region_code"], entity_id=row["reporter_id"]
    ):
        raise not_found("statistics report", reporter_id)
    return row


def _actor(
    principal: Principal, *, kind: str, reporter_id: str, region_code: str, role: str
) -> Actor:
    roles = statistics_roles(
        principal, reporter_kind=kind, reporter_id=reporter_id, region_code=region_code
    )
    if not may_see_report(principal, region_code=region_code, entity_id=reporter_id):
        raise not_found("statistics report", reporter_id)
    if role == "submit":
        role = "reporter" if "reporter" in roles else "city_bureau"
    if role not in roles:
        raise forbidden(f"this step is the {role.replace('_', ' ')}'s")
    city = region_code[:4] + "00"
    if role == "reporter":
        return Actor(principal.subject, Role.reporter, entity_id=reporter_id)
    if role == "city_bureau":
        return Actor(principal.subject, Role.city_bureau, region_code=city)
    return Actor(principal.subject, Role.province, region_code=principal.region_code)


@router.post(
    REPORT + "/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=StatisticsReportPublic,
    summary="Submit a period's figures (a county or city bureau, a monitored enterprise, or the "
    "city bureau on a reporter's behalf); on an accepted report, a correction",
    description="422 naming `body.figures.<key>` for an indicator or level the programme does "
    "not collect, a negative figure, an unknown customs mode, physical goods above the total, "
    "a float; 409 with `reason` (window_not_open, locked, step_out_of_order).",
)
async def submit(
    request: Request,
    body: StatisticsSubmit,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    response: Response,
    programme_id: str = PROGRAMME,
    period: str = PERIOD,
    reporter_id: str = REPORTER,
) -> StatisticsReportPublic:
    def authorize(_city: str) -> Actor:
        return _actor(
            principal,
            kind=body.reporter_kind,
            reporter_id=reporter_id,
            region_code=body.region_code,
            role="submit",
        )

    async def claim(connection: asyncpg.Connection, stored: asyncpg.Record) -> None:
        response.headers["Location"] = f"/v1/statistics{REPORT}".format(
            programme_id=programme_id, period=period, reporter_id=reporter_id
        )
        await claim_idempotency_key(
            connection,
            request,
            status_code=201,
            content=await _answer(connection, stored),
            headers=response.headers,
        )

    try:
        stored = await submit_statistics(
            pool,
            context,
            key=ReportKey(programme_id, period, reporter_id),
            kind=ReporterKind(body.reporter_kind),
            region_code=body.region_code,
            figures=body.figures,
            authorize=authorize,
            now=now,
            before_commit=claim,
        )
    except HANDLED as exc:
        raise statistics_problem(exc) from exc
    return await _report(pool, stored, steps=False)


async def _answer(
    connection: asyncpg.Connection, stored: Mapping[str, Any]
) -> StatisticsReportPublic:
    versions = await connection.fetch(queries.VERSIONS, stored["id"])
    fields = {k: stored[k] for k in StatisticsReportPublic.model_fields if k in stored}
    return StatisticsReportPublic(
        **fields, figures=json.loads(versions[-1]["figures"]) if versions else {}
    )


async def _review(
    request: Request,
    principal: Principal,
    pool: asyncpg.Pool,
    context: Context,
    now: Any,
    key: ReportKey,
    action: Action,
    role: str,
    reason: str | None,
    comments: dict[str, str],
) -> StatisticsReportPublic:
    def authorize(row: Mapping[str, Any]) -> Actor:
        _visible(principal, row, key.reporter_id)
        return _actor(
            principal,
            kind=row["reporter_kind"],
            reporter_id=row["reporter_id"],
            region_code=row["region_code"],
            role=role,
        )

    async def claim(connection: asyncpg.Connection, stored: asyncpg.Record) -> None:
        await claim_idempotency_key(
            connection, request, status_code=200, content=await _answer(connection, stored)
        )

    try:
        stored = await review_statistics(
            pool,
            context,
            key=key,
            action=action,
            authorize=authorize,
            reason=reason,
            field_comments=comments,
            now=now,
            before_commit=claim,
        )
    except HANDLED as exc:
        raise statistics_problem(exc) from exc
    return await _report(pool, stored, steps=False)


@router.post(
    REPORT + "/city-review",
    response_model=StatisticsReportPublic,
    summary="The reporter's city bureau returns the figures with comments, or recommends them",
)
async def city_review(
    request: Request,
    body: CityReview,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    programme_id: str = PROGRAMME,
    period: str = PERIOD,
    reporter_id: str = REPORTER,
) -> StatisticsReportPublic:
    return await _review(
        request,
        principal,
        pool,
        context,
        now,
        ReportKey(programme_id, period, reporter_id),
        CITY[body.decision],
        "city_bureau",
        body.reason,
        body.field_comments,
    )


@router.post(
    REPORT + "/province-review",
    response_model=StatisticsReportPublic,
    summary="The province accepts recommended figures (and publishes the period's sums "
    "again), or returns them",
)
async def province_review(
    request: Request,
    body: ProvinceReview,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    programme_id: str = PROGRAMME,
    period: str = PERIOD,
    reporter_id: str = REPORTER,
) -> StatisticsReportPublic:
    return await _review(
        request,
        principal,
        pool,
        context,
        now,
        ReportKey(programme_id, period, reporter_id),
        PROVINCE[body.decision],
        "province",
        body.reason,
        body.field_comments,
    )


@router.get(REPORT, response_model=StatisticsReportPublic, summary="A report and its steps")
async def read(
    principal: CurrentPrincipal,
    pool: Pool,
    programme_id: str = PROGRAMME,
    period: str = PERIOD,
    reporter_id: str = REPORTER,
) -> StatisticsReportPublic:
    row = _visible(
        principal,
        await pool.fetchrow(queries.REPORT, programme_id, period, reporter_id),
        reporter_id,
    )
    return await _report(pool, row, steps=True)


def _programme(
    context: Context, programme_id: str | None, indicator: str, region: str
) -> Programme:
    for programme in sorted(context.programmes.values(), key=lambda p: p.id):
        statistics = programme.statistics
        if programme_id is not None and programme.id != programme_id:
            continue
        root = programme.jurisdiction
        inside = region[:2] == root[:2] if root.endswith("0000") else region[:4] == root[:4]
        if statistics is None or not inside:
            continue
        if any(i.id == indicator for i in statistics.indicators):
            return programme
    raise not_found("statistics indicator", f"{indicator} for region {region}")


@router.get(
    "",
    response_model=StatisticsPublic,
    responses={
        404: {
            "description": "No programme collects the indicator in the region, or "
            "the region is not visible to the caller"
        }
    },
    summary="Published figures of a region and its children, with growth, completeness "
    "and provisional flags",
)
async def published(
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    indicator: str = Query(min_length=1, max_length=80),
    period: str = Query(min_length=4, max_length=7, description="2025-01, 2025-Q1 or 2025"),
    region: str = Query(pattern=r"^\d{6}$", description="province, city or county code"),
    by: Literal["city", "county"] = Query(default="city"),
    programme_id: str | None = Query(
        default=None,
        max_length=100,
        description="default: the programme whose jurisdiction "
        "holds the region and which collects the indicator",
    ),
) -> StatisticsPublic:
    if not may_see_region(principal, region):
        raise not_found("region", region)
    programme = _programme(context, programme_id, indicator, region)
    statistics = programme.statistics
    assert statistics is not None
    try:
        key = period_of(period)
    except Refused as exc:
        raise statistics_problem(exc) from exc
    chosen = statistics.indicator(indicator)
    if chosen.period is not key.kind:
        raise statistics_problem(
            Refused("invalid_period", f"{indicator} is {chosen.period.value}", field="period")
        )
    parts = [i for i in (chosen.id, chosen.numerator, chosen.denominator) if i]
    periods = [str(key), str(key.previous()), str(key.a_year_earlier())]
    like = (
        region[:2] + "%"
        if region.endswith("0000")
        else region[:4] + "%"
        if region.endswith("00")
        else region
    )
    async with pool.acquire() as connection:
        figures = await figures_in_force(
            connection,
            programme_id=programme.id,
            indicators=parts,
            periods=periods,
            root=programme.jurisdiction,
        )
        states = await connection.fetch(queries.REPORT_STATES, programme.id, str(key), like)
        opens_at = period_schedule(key, statistics.schedule.for_period(key.kind)).opens_at
        expected = await connection.fetch(
            queries.ROSTER_COUNTS, programme.id, str(key), opens_at, like
        )
    basis, rows = published_rows(
        statistics,
        indicator,
        key,
        figures,
        jurisdiction=programme.jurisdiction,
        region=region,
        by=by,
    )
    completeness: dict[str, CompletenessCount] = {}
    for state_row in states:
        count = completeness.setdefault(
            state_row["reporter_kind"], CompletenessCount(reports=0, accepted=0, under_review=0)
        )
        count.reports += state_row["reports"]
        if state_row["state"] == "accepted":
            count.accepted += state_row["reports"]
        else:
            count.under_review += state_row["reports"]
    for roster_row in expected:
        count = completeness.setdefault(
            roster_row["reporter_kind"], CompletenessCount(reports=0, accepted=0, under_review=0)
        )
        count.expected, count.missing = roster_row["expected"], roster_row["missing"]

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    public_rows = [
        StatisticsRowPublic(
            region_code=r.region_code,
            level=r.level,
            value=text(r.value),
            reporters=r.reporters,
            provisional=r.provisional,
            year_on_year=text(r.year_on_year),
            period_on_period=text(r.period_on_period),
            breakdown={k: str(v) for k, v in r.breakdown.items()},
            reconciliation=None
            if r.reconciliation is None
            else ReconciliationPublic(
                reported=str(r.reconciliation.reported),
                sum_of_counties=str(r.reconciliation.sum_of_counties),
                difference=str(r.reconciliation.difference),
            ),
        )
        for r in rows
        if may_see_region(principal, r.region_code)
    ]
    return StatisticsPublic(
        programme_id=programme.id,
        indicator=indicator,
        name_zh=chosen.name_zh,
        unit=chosen.unit.value,
        aggregation=chosen.aggregation.value,
        basis=basis,
        period=str(key),
        region=region,
        by=by,
        provisional=any(r.provisional for r in public_rows),
        rows=public_rows,
        completeness=completeness,
    )
