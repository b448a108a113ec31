"""``/v1/statistics``: periodic figures of county and city bureaus and monitored enterprises,
reviewed by the city and accepted by the province; the published sums (docs/statistics.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status

from shared.auth import CurrentPrincipal, Principal
from shared.auth.scope import may_see_report, statistics_roles
from shared.http import catalogue
from shared.http.headers import LOCATION, sends
from shared.http.idempotency import claim_idempotency_key, claim_with
from shared.http.problems import ProblemError, forbidden, invalid, not_found
from shared.i18n import t
from submissions.api.deps import Ctx, Now, Pool
from submissions.api.errors import problem_for, refusal_text
from submissions.api.schemas import CityReview, ProvinceReview
from submissions.api.statistics_schemas import (
    StatisticsReportPublic,
    StatisticsStepPublic,
    StatisticsSubmit,
)
from submissions.domain.actors import Actor, Role
from submissions.domain.errors import Refused
from submissions.domain.review import Action
from submissions.domain.statistics.figures import ReporterKind
from submissions.handlers.common import Connection, Context, NotFound
from submissions.handlers.statistics import (
    InvalidFigures,
    ReportKey,
    StoredStatistics,
    read_statistics,
    review_statistics,
    submit_statistics,
)

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
        # Each figure's own words in the answer's language (the messages are Text).
        return ProblemError(
            catalogue.INVALID_FIGURES,
            t(
                "统计数据有误：" + "；".join(f"{e.field}：{e.text.zh}" for e in exc.errors),
                "; ".join(f"{e.field}: {e.text.en}" for e in exc.errors),
            ),
            extra={
                "errors": [
                    {
                        "field": f"body.{e.field}"
                        if e.field == "figures"
                        else f"body.figures.{e.field}",
                        "message": e.text,
                        "type": e.code,
                    }
                    for e in exc.errors
                ]
            },
        )
    if isinstance(exc, Refused) and exc.code in INVALID:
        field = exc.field if exc.field in ("period", "reporter_id") else f"body.{exc.field}"
        return invalid(
            [{"field": field, "message": exc.reason, "type": exc.code}], refusal_text(exc)
        )
    return problem_for(exc)


HANDLED = (InvalidFigures, Refused, NotFound)


def _answer(
    row: Mapping[str, Any],
    figures: Mapping[str, Any],
    steps: list[StatisticsStepPublic] | None = None,
) -> StatisticsReportPublic:
    fields = {k: row[k] for k in StatisticsReportPublic.model_fields if k in row}
    return StatisticsReportPublic(**fields, figures=figures, steps=steps)


def _visible(
    principal: Principal, row: Mapping[str, Any] | None, reporter_id: str
) -> Mapping[str, Any]:
    if row is None or not may_see_report(
        principal, region_code=row["region_code"], entity_id=row["reporter_id"]
    ):
        raise not_found(t("统计报表", "statistics report"), reporter_id)
    return row


def _actor(
    principal: Principal, *, kind: str, reporter_id: str, region_code: str, role: str
) -> Actor:
    roles = statistics_roles(
        principal, reporter_kind=kind, reporter_id=reporter_id, region_code=region_code
    )
    if not may_see_report(principal, region_code=region_code, entity_id=reporter_id):
        raise not_found(t("统计报表", "statistics report"), reporter_id)
    if role == "submit":
        role = "reporter" if "reporter" in roles else "city_bureau"
    if role not in roles:
        raise forbidden(t(f"该步骤由 {role} 执行", f"this step is the {role.replace('_', ' ')}'s"))
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
    responses=sends(201, LOCATION),
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

    async def claim(connection: Connection, stored: StoredStatistics) -> None:
        response.headers["Location"] = f"/v1/statistics{REPORT}".format(
            programme_id=programme_id, period=period, reporter_id=reporter_id
        )
        await claim_idempotency_key(
            connection,
            request,
            status_code=201,
            content=_answer(stored.report, stored.figures),
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
    return _answer(stored.report, stored.figures)


@dataclass(frozen=True)
class _ReviewRequest:
    """What a review step is called with, whoever takes it: the request (for its
    Idempotency-Key), the caller, the service's resources and the report named by the path."""

    request: Request
    principal: Principal
    pool: Pool
    context: Context
    now: dt.datetime
    key: ReportKey


async def _review_request(
    request: Request,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    programme_id: str = PROGRAMME,
    period: str = PERIOD,
    reporter_id: str = REPORTER,
) -> _ReviewRequest:
    return _ReviewRequest(
        request, principal, pool, context, now, ReportKey(programme_id, period, reporter_id)
    )


ReviewRequest = Annotated[_ReviewRequest, Depends(_review_request)]


async def _review(
    call: _ReviewRequest,
    action: Action,
    role: str,
    reason: str | None,
    comments: dict[str, str],
) -> StatisticsReportPublic:
    request, principal, pool, key = call.request, call.principal, call.pool, call.key

    def authorize(row: Mapping[str, Any]) -> Actor:
        _visible(principal, row, key.reporter_id)
        return _actor(
            principal,
            kind=row["reporter_kind"],
            reporter_id=row["reporter_id"],
            region_code=row["region_code"],
            role=role,
        )

    def render(stored: StoredStatistics) -> StatisticsReportPublic:
        return _answer(stored.report, stored.figures)

    claim = claim_with(request, status_code=200, render=render)
    try:
        stored = await review_statistics(
            pool,
            call.context,
            key=key,
            action=action,
            authorize=authorize,
            reason=reason,
            field_comments=comments,
            now=call.now,
            before_commit=claim,
        )
    except HANDLED as exc:
        raise statistics_problem(exc) from exc
    return _answer(stored.report, stored.figures)


@router.post(
    REPORT + "/city-review",
    response_model=StatisticsReportPublic,
    summary="The reporter's city bureau returns the figures with comments, or recommends them",
)
async def city_review(body: CityReview, call: ReviewRequest) -> StatisticsReportPublic:
    return await _review(call, CITY[body.decision], "city_bureau", body.reason, body.field_comments)


@router.post(
    REPORT + "/province-review",
    response_model=StatisticsReportPublic,
    summary="The province accepts recommended figures (and publishes the period's sums "
    "again), or returns them",
)
async def province_review(body: ProvinceReview, call: ReviewRequest) -> StatisticsReportPublic:
    return await _review(
        call, PROVINCE[body.decision], "province", body.reason, body.field_comments
    )


@router.get(REPORT, response_model=StatisticsReportPublic, summary="A report and its steps")
async def read(
    principal: CurrentPrincipal,
    pool: Pool,
    programme_id: str = PROGRAMME,
    period: str = PERIOD,
    reporter_id: str = REPORTER,
) -> StatisticsReportPublic:
    found = await read_statistics(
        pool,
        ReportKey(programme_id, period, reporter_id),
        lambda row: _visible(principal, row, reporter_id),
    )
    steps = [StatisticsStepPublic(**dict(s)) for s in found.steps]
    return _answer(found.report, found.figures, steps)
