"""``/v1/windows/{window_id}/reports``: submit versions, review by city then province, read,
versions and their diff. A reporter sees its own reports, a bureau its region's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status

from shared.auth import CurrentPrincipal, Principal
from shared.http.etag import check_if_match, etag_for
from shared.http.headers import ETAG, LOCATION, if_match_header, sends
from shared.http.idempotency import StatementClaim, claim_idempotency_key
from shared.http.pagination import (
    Page,
    PageQuery,
    cursor_int,
    next_cursor,
    read_cursor,
)
from shared.http.problems import invalid, not_found
from shared.i18n import t
from submissions.api.access import actor_for, scope_of, visible_or_404
from submissions.api.deps import Ctx, Now, Pool
from submissions.api.errors import HANDLED, problem_for
from submissions.api.schemas import (
    CityReview,
    FieldChangePublic,
    ProvinceReview,
    ReportPublic,
    ReportSubmit,
    StepPublic,
    SubmittedPublic,
    VersionPublic,
    public,
)
from submissions.domain.actors import Actor
from submissions.domain.review import Action
from submissions.domain.validation import ReportedFigure
from submissions.domain.versions import diff
from submissions.handlers.common import Connection, Context, Row, Visible, find_window
from submissions.handlers.report_reads import (
    find_version,
    read_report,
    report_versions,
    reports_page,
    versions_page,
)
from submissions.handlers.reports import Submitted, review_report, submit_report

router = APIRouter(prefix="/v1/windows/{window_id}/reports", tags=["reports"])
CITY = {"return": Action.city_return, "recommend": Action.city_recommend}
PROVINCE = {
    "accept": Action.province_accept,
    "return_to_city": Action.province_return_to_city,
    "return_to_reporter": Action.province_return_to_reporter,
}


def visible_report(principal: Principal, designation_id: str) -> Visible:
    """The report when the caller may see it; 404 when it is absent or another's."""
    return lambda row: visible_or_404(principal, row, "report", designation_id)


def _figure(value: Any) -> Any:
    if isinstance(value, dict):
        unit = value.get("unit")
        return ReportedFigure(value.get("value"), unit if unit is None else str(unit))
    return ReportedFigure(value)


@router.get("", response_model=Page[ReportPublic], summary="Reports of the window (scoped)")
async def list_reports(
    window_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    asked: PageQuery,
) -> Page[ReportPublic]:
    # The window is looked up before the cursor is read: an unknown window is a 404 whatever
    # the cursor.
    try:
        await find_window(pool, context, window_id)
    except HANDLED as exc:
        raise problem_for(exc) from exc
    after = read_cursor(asked.cursor, lambda p: str(p["after"]))
    rows = await reports_page(
        pool,
        window_id,
        after=str(after) if after is not None else None,
        count=asked.limit + 1,
        scope=scope_of(principal),
    )
    return Page[ReportPublic](
        items=[public(ReportPublic, row) for row in rows[: asked.limit]],
        next_cursor=next_cursor(rows, asked.limit, lambda last: {"after": last["designation_id"]}),
    )


@router.get(
    "/{designation_id}",
    response_model=ReportPublic,
    summary="A report and its steps",
    responses=sends(200, ETAG),
)
async def read(
    window_id: str,
    designation_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    response: Response,
) -> ReportPublic:
    found = await read_report(
        pool, window_id, designation_id, visible_report(principal, designation_id)
    )
    response.headers["ETag"] = etag_for(found.report["revision"])
    return public(ReportPublic, found.report, steps=[public(StepPublic, s) for s in found.steps])


@router.post(
    "/{designation_id}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmittedPublic,
    summary="Submit a version (the reporter, or its city bureau on its behalf)",
    responses=sends(201, LOCATION, ETAG),
    description="Refused with 409 and the `reason` (window_not_open, not_expected, locked, "
    "past_grace, already_accepted, under_review); invalid figures with 422 naming each field. "
    "A change over the template's threshold against last year needs `explanations`.",
)
async def submit(
    request: Request,
    window_id: str,
    designation_id: str,
    body: ReportSubmit,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
) -> Response:
    def authorize(entry: Mapping[str, Any]) -> Actor:
        # A reporter the caller may not see is answered as absent, like a missing one.
        visible_or_404(principal, entry, "reporter on the roster", designation_id)
        return actor_for(principal, entry)

    def answer(result: Submitted) -> SubmittedPublic:
        return SubmittedPublic(
            report=public(ReportPublic, result.report),
            version=result.version,
            on_time=result.on_time,
            warnings=result.warnings,
        )

    # The 10 December rush's path: the answer is rendered once, stored with the Idempotency-Key
    # in the transaction, and sent as those very bytes (no second validation and rendering).
    # A first submission claims the key in its own statement; a later one claims it last.
    sent: dict[str, Any] = {}

    def render(result: Submitted) -> tuple[int, dict[str, str], bytes]:
        sent["headers"] = {
            "Location": f"/v1/windows/{window_id}/reports/{designation_id}/versions/"
            f"{result.version}",
            "ETag": etag_for(result.report["revision"]),
        }
        sent["body"] = answer(result).model_dump_json().encode()
        return status.HTTP_201_CREATED, sent["headers"], sent["body"]

    async def claim(connection: Connection, result: Submitted) -> None:
        status_code, headers, body = render(result)
        await claim_idempotency_key(
            connection, request, status_code=status_code, headers=headers, rendered=body
        )

    try:
        await submit_report(
            pool,
            context,
            window_id=window_id,
            designation_id=designation_id,
            authorize=authorize,
            figures={k: _figure(v) for k, v in body.figures.items()},
            explanations=body.explanations,
            now=now,
            before_commit=claim,
            claim_in_statement=StatementClaim(request, render),
        )
    except HANDLED as exc:
        raise problem_for(exc) from exc
    return Response(
        content=sent["body"],
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
        headers=sent["headers"],
    )


@dataclass(frozen=True)
class _ReviewCall:
    """What a review step is called with, whoever takes it: the request (for its
    Idempotency-Key), the caller, the service's resources, the report named by the path, the
    response (for its ETag) and the optional If-Match."""

    request: Request
    window_id: str
    designation_id: str
    principal: Principal
    pool: Pool
    context: Context
    now: dt.datetime
    response: Response
    if_match: str | None


async def _review_call(
    request: Request,
    window_id: str,
    designation_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    now: Now,
    response: Response,
    if_match: str | None = if_match_header(required=False),
) -> _ReviewCall:
    return _ReviewCall(
        request, window_id, designation_id, principal, pool, context, now, response, if_match
    )


ReviewCall = Annotated[_ReviewCall, Depends(_review_call)]


async def _review(
    call: _ReviewCall, action: Action, reason: str | None, comments: dict[str, str]
) -> ReportPublic:
    if_match = call.if_match

    def authorize(row: Mapping[str, Any] | None) -> Actor:
        seen = visible_or_404(call.principal, row, "report", call.designation_id)
        return actor_for(call.principal, seen)

    async def claim(connection: Connection, stored: Row) -> None:
        call.response.headers["ETag"] = etag_for(stored["revision"])
        await claim_idempotency_key(
            connection,
            call.request,
            status_code=200,
            content=public(ReportPublic, stored),
            headers=call.response.headers,
        )

    try:
        stored = await review_report(
            call.pool,
            call.context,
            window_id=call.window_id,
            designation_id=call.designation_id,
            authorize=authorize,
            action=action,
            reason=reason,
            field_comments=comments,
            now=call.now,
            check_revision=(lambda revision: check_if_match(if_match, revision))
            if if_match
            else None,
            before_commit=claim,
        )
    except HANDLED as exc:
        raise problem_for(exc) from exc
    return public(ReportPublic, stored)


@router.post(
    "/{designation_id}/city-review",
    response_model=ReportPublic,
    summary="The city bureau returns the report with field comments, or recommends it",
    responses=sends(200, ETAG),
)
async def city_review(body: CityReview, call: ReviewCall) -> ReportPublic:
    return await _review(call, CITY[body.decision], body.reason, body.field_comments)


@router.post(
    "/{designation_id}/province-review",
    response_model=ReportPublic,
    summary="The province accepts a recommended report, or returns it to the city or reporter",
    responses=sends(200, ETAG),
)
async def province_review(body: ProvinceReview, call: ReviewCall) -> ReportPublic:
    return await _review(call, PROVINCE[body.decision], body.reason, body.field_comments)


@router.get(
    "/{designation_id}/versions",
    response_model=Page[VersionPublic],
    summary="Every submitted version, oldest first (immutable; paged)",
    description="`limit` (default 50, at most 500) versions a page; `next_cursor` reads on.",
)
async def versions(
    window_id: str,
    designation_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    asked: PageQuery,
) -> Page[VersionPublic]:
    after = read_cursor(asked.cursor, lambda p: cursor_int(p["number"]))
    rows = await versions_page(
        pool,
        window_id,
        designation_id,
        visible_report(principal, designation_id),
        after=after,
        count=asked.limit + 1,
    )
    return Page[VersionPublic](
        items=[public(VersionPublic, v) for v in rows[: asked.limit]],
        next_cursor=next_cursor(rows, asked.limit, lambda last: {"number": last["number"]}),
    )


@router.get(
    "/{designation_id}/versions/{number}",
    response_model=VersionPublic,
    summary="One submitted version (where a submission's Location points)",
)
async def version(
    window_id: str,
    designation_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    number: int = Path(ge=1, le=10_000),
) -> VersionPublic:
    found = await find_version(
        pool, window_id, designation_id, visible_report(principal, designation_id), number
    )
    if found is None:
        raise not_found(t("报告版本", "version"), str(number))
    return public(VersionPublic, found)


@router.get(
    "/{designation_id}/diff",
    response_model=list[FieldChangePublic],
    summary="The fields that changed between two versions",
)
async def version_diff(
    window_id: str,
    designation_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    older: int = Query(alias="from", ge=1, le=10_000),
    newer: int = Query(alias="to", ge=1, le=10_000),
) -> list[FieldChangePublic]:
    found = await report_versions(
        pool, window_id, designation_id, visible_report(principal, designation_id)
    )
    for name, number in (("from", older), ("to", newer)):
        if number not in found:
            raise invalid(
                [
                    {
                        "field": f"query.{name}",
                        "message": f"no version {number}",
                        "type": "unknown_version",
                    }
                ],
                t(f"没有第 {number} 版", f"no version {number}"),
            )
    return [
        FieldChangePublic(
            field=c.field,
            before=c.before if c.before is None or isinstance(c.before, int) else str(c.before),
            after=c.after if c.after is None or isinstance(c.after, int) else str(c.after),
        )
        for c in diff(found[older], found[newer])
    ]
