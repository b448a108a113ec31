"""Enterprise specifics: the credit code check on registration, and statistics-list years
(published as ``registry.enterprise.statistics_year_set``)."""

from __future__ import annotations

import uuid
from typing import Any

from registry.db import entity_queries, queries
from registry.db.repository import record_change
from registry.domain.credit_code import (
    InvalidCreditCode,
    normalise_credit_code,
    validate_credit_code,
    validate_credit_code_format,
)
from registry.domain.entities.definitions import ENTERPRISE
from registry.domain.scope import may_read
from registry.handlers.common import Connection, Context, Pool, Row
from registry.handlers.scope import require_region_write
from shared import audit
from shared.auth import Principal, Role
from shared.events.registry import EnterpriseStatisticsYearSet
from shared.http import catalogue
from shared.http.etag import check_put_precondition, representation_etag
from shared.http.problems import ProblemError, not_found
from shared.i18n import t


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


def year_etag(year: int, in_list: bool) -> str:
    """A year's ETag: the tag of its representation (``StatisticsListYear``) as the API sends
    it, so the GET's tag is the one the PUT compares."""
    return representation_etag({"year": year, "in_list": in_list})


async def _readable_enterprise(
    db: Pool | Connection, principal: Principal, enterprise_id: uuid.UUID, *, for_update: bool
) -> Row:
    statement = entity_queries.BY_ID_FOR_UPDATE if for_update else entity_queries.BY_ID
    row = await db.fetchrow(statement[ENTERPRISE.name], enterprise_id)
    if row is None or not may_read(principal, ENTERPRISE, row):
        raise not_found(t("企业", "enterprise"), str(enterprise_id))
    return row


async def set_statistics_year(
    context: Context,
    principal: Principal,
    *,
    enterprise_id: uuid.UUID,
    year: int,
    in_list: bool,
    if_match: str | None,
) -> list[Row]:
    """Record whether the enterprise is in the statistics list in ``year``; every year of it,
    as they stand after."""
    async with context.pool.acquire() as connection, connection.transaction():
        row = await _readable_enterprise(connection, principal, enterprise_id, for_update=True)
        require_region_write(principal, row["region_code"])
        before = await connection.fetchval(queries.STATISTICS_YEAR, enterprise_id, year)
        # The enterprise's row lock (above) holds the compared year until the commit.
        check_put_precondition(if_match, None if before is None else year_etag(year, before))
        await connection.execute(queries.UPSERT_STATISTICS_YEAR, enterprise_id, year, in_list)
        await record_change(
            connection,
            entity_type="enterprise",
            entity_id=enterprise_id,
            version=row["version"],
            action="statistics_year",
            changed_by=principal.subject,
            old_values=None,
            new_values={"year": year, "in_list": in_list},
        )
        # Published: awards' traffic subsidy (004 四(二)3) takes 上规入统 from here.
        event = EnterpriseStatisticsYearSet(
            enterprise_id=str(enterprise_id),
            year=year,
            in_list=in_list,
            set_by=principal.subject,
        )
        await context.publish(connection, [event])
        rows: list[Row] = await connection.fetch(queries.STATISTICS_YEARS, enterprise_id)
        await audit.record_change_by(
            connection,
            principal,
            "enterprise.statistics_year_set",
            audit.Resource("enterprise", enterprise_id, row["region_code"]),
            before=None if before is None else {"year": year, "in_list": before},
            after={"year": year, "in_list": in_list},
        )
    return rows


async def statistics_year(
    context: Context, principal: Principal, *, enterprise_id: uuid.UUID, year: int
) -> bool:
    """Whether the enterprise is in the statistics list in ``year`` (404 when not recorded)."""
    await _readable_enterprise(context.pool, principal, enterprise_id, for_update=False)
    in_list: bool | None = await context.pool.fetchval(queries.STATISTICS_YEAR, enterprise_id, year)
    if in_list is None:
        raise not_found(t("入统名单年度", "statistics-list year"), f"{enterprise_id}/{year}")
    return in_list


async def statistics_years(
    context: Context, principal: Principal, *, enterprise_id: uuid.UUID
) -> list[Row]:
    await _readable_enterprise(context.pool, principal, enterprise_id, for_update=False)
    rows: list[Row] = await context.pool.fetch(queries.STATISTICS_YEARS, enterprise_id)
    return rows
