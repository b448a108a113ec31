"""Enterprise specifics: the credit code check on registration, and statistics-list years
(published as ``registry.enterprise.statistics_year_set``)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Path, Response

from registry.api.deps import Pool, Settings
from registry.api.schemas import StatisticsListYear
from registry.api.scope import may_access, require_region_write
from registry.db import entity_queries
from registry.db.repository import record_change
from registry.domain.credit_code import (
    InvalidCreditCode,
    normalise_credit_code,
    validate_credit_code,
    validate_credit_code_format,
)
from registry.entities.definitions import ENTERPRISE
from shared import audit
from shared.auth import CurrentPrincipal, Principal, Role
from shared.events.registry import EnterpriseStatisticsYearSet
from shared.http import catalogue
from shared.http.etag import check_put_precondition, representation_etag
from shared.http.headers import ETAG, if_match_header, sends
from shared.http.problems import ProblemError, invalid, not_found
from shared.i18n import t
from shared.messaging.outbox import append_events

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])
YEAR = Path(ge=2000, le=2100)

UPSERT_STATISTICS_YEAR = """
INSERT INTO enterprise_statistics_years (enterprise_id, year, in_list) VALUES ($1, $2, $3)
ON CONFLICT (enterprise_id, year) DO UPDATE SET in_list = EXCLUDED.in_list
"""
STATISTICS_YEAR = (
    "SELECT in_list FROM enterprise_statistics_years WHERE enterprise_id = $1 AND year = $2"
)
STATISTICS_YEARS = (
    "SELECT year, in_list FROM enterprise_statistics_years WHERE enterprise_id = $1 ORDER BY year"
)


def _invalid_code(exc: InvalidCreditCode) -> ProblemError:
    return ProblemError(
        catalogue.INVALID_CREDIT_CODE,
        exc.text,
        extra={
            "errors": [{"field": "body.credit_code", "message": exc.text, "type": "credit_code"}]
        },
    )


def prepare_enterprise(values: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """GB 32100-2015: the 18th character checks the first 17. A legacy code that predates the
    check may pass only with a written reason, by a province administrator, and is recorded;
    the override waives the check character only, never the length or the character set."""
    reason = values.pop("legacy_code_reason", None)
    code = normalise_credit_code(values["credit_code"])
    override = None
    try:
        validate_credit_code(code)
    except InvalidCreditCode as exc:
        if not reason or Role.province_admin not in principal.roles:
            raise _invalid_code(exc) from exc
        try:
            validate_credit_code_format(code)
        except InvalidCreditCode as malformed:
            raise _invalid_code(malformed) from malformed
        override = {"approved_by": principal.subject, "reason": reason, "check_failure": str(exc)}
    values["kinds"] = [str(kind) for kind in values.get("kinds", [])]
    return {**values, "credit_code": code, "credit_code_override": override}


@router.put(
    "/{enterprise_id}/statistics-years/{year}",
    response_model=list[StatisticsListYear],
    summary="Record whether the enterprise is in the statistics list (限额以上/上规入统) in a year",
    description="Answers every year of the enterprise; the ETag is the year's own, the one "
    "`GET …/statistics-years/{year}` sends and If-Match names to replace it.",
    responses=sends(200, ETAG),
)
async def put_statistics_year(
    enterprise_id: uuid.UUID,
    year: int,
    body: StatisticsListYear,
    principal: CurrentPrincipal,
    pool: Pool,
    settings: Settings,
    response: Response,
    if_match: str | None = if_match_header(
        description="The year's ETag, to replace a year already recorded (without it 428; "
        "stale 412)."
    ),
) -> list[StatisticsListYear]:
    if body.year != year:
        raise invalid(
            [{"field": "body.year", "message": "differs from the path's year", "type": "year"}],
            t("请求体中的年份与路径中的不一致", "the body's year differs from the path's"),
        )
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            entity_queries.by_id(ENTERPRISE, for_update=True), enterprise_id
        )
        if row is None or not may_access(principal, ENTERPRISE, row, write=False):
            raise not_found(t("企业", "enterprise"), str(enterprise_id))
        require_region_write(principal, row["region_code"])
        before = await connection.fetchval(STATISTICS_YEAR, enterprise_id, year)
        # The enterprise's row lock (above) holds the compared year until the commit.
        check_put_precondition(if_match, None if before is None else _year_etag(year, before))
        await connection.execute(UPSERT_STATISTICS_YEAR, enterprise_id, year, body.in_list)
        await record_change(
            connection,
            entity_type="enterprise",
            entity_id=enterprise_id,
            version=row["version"],
            action="statistics_year",
            changed_by=principal.subject,
            old_values=None,
            new_values={"year": year, "in_list": body.in_list},
        )
        # Published: awards' traffic subsidy (004 四(二)3) takes 上规入统 from here.
        event = EnterpriseStatisticsYearSet(
            enterprise_id=str(enterprise_id),
            year=year,
            in_list=body.in_list,
            set_by=principal.subject,
        )
        await append_events(
            connection,
            [event],
            source=settings.event_source,
            topic_prefix=settings.kafka_topic_prefix,
        )
        rows = await connection.fetch(STATISTICS_YEARS, enterprise_id)
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="enterprise.statistics_year_set",
            resource_type="enterprise",
            resource_id=enterprise_id,
            region_code=row["region_code"],
            before=None if before is None else {"year": year, "in_list": before},
            after={"year": year, "in_list": body.in_list},
        )
    response.headers["ETag"] = _year_etag(year, body.in_list)
    return [StatisticsListYear.model_validate(dict(r)) for r in rows]


def _year_etag(year: int, in_list: bool) -> str:
    return representation_etag(StatisticsListYear(year=year, in_list=in_list))


@router.get(
    "/{enterprise_id}/statistics-years/{year}",
    response_model=StatisticsListYear,
    responses=sends(200, ETAG),
)
async def get_statistics_year(
    enterprise_id: uuid.UUID,
    principal: CurrentPrincipal,
    pool: Pool,
    response: Response,
    year: int = YEAR,
) -> StatisticsListYear:
    row = await pool.fetchrow(entity_queries.by_id(ENTERPRISE), enterprise_id)
    if row is None or not may_access(principal, ENTERPRISE, row, write=False):
        raise not_found(t("企业", "enterprise"), str(enterprise_id))
    in_list = await pool.fetchval(STATISTICS_YEAR, enterprise_id, year)
    if in_list is None:
        raise not_found(t("入统名单年度", "statistics-list year"), f"{enterprise_id}/{year}")
    response.headers["ETag"] = _year_etag(year, in_list)
    return StatisticsListYear(year=year, in_list=in_list)


@router.get("/{enterprise_id}/statistics-years", response_model=list[StatisticsListYear])
async def get_statistics_years(
    enterprise_id: uuid.UUID, principal: CurrentPrincipal, pool: Pool
) -> list[StatisticsListYear]:
    row = await pool.fetchrow(entity_queries.by_id(ENTERPRISE), enterprise_id)
    if row is None or not may_access(principal, ENTERPRISE, row, write=False):
        raise not_found(t("企业", "enterprise"), str(enterprise_id))
    return [
        StatisticsListYear.model_validate(dict(r))
        for r in await pool.fetch(STATISTICS_YEARS, enterprise_id)
    ]
