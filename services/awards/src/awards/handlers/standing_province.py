"""Dynamic management for the province: every designation's standing per programme and year
with the evidence and who decided; a major violation reported with its evidence (revokes at
once); reinstatement. Each change is the designation workflow's validated update; its activity
writes the decision, the event and the audit record (with this request's facts)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from temporalio.client import Client

from awards.db import standing as queries
from awards.handlers.common import ClaimKey, Pool, Row, actor_of, request_data
from awards.handlers.updates import run_update
from awards.workflows.types import (
    REINSTATE,
    REPORT_VIOLATION,
    DesignationState,
    Reinstatement,
    ViolationReport,
    designation_workflow_id,
)
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.http.problems import forbidden, not_found
from shared.i18n import t


def region_pattern(principal: Principal) -> str:
    """The province sees its province; a city bureau its city."""
    region = principal.region_code
    if region is None:
        raise forbidden(t("需要地区主管部门的令牌", "a regional office's token is needed"))
    if Role.province_admin in principal.roles:
        return region[:2] + "%"
    if Role.city_bureau in principal.roles:
        return region[:4] + "%"
    raise forbidden(
        t("仅省厅和市级商务主管部门可查看示范状态", "the province and city bureaus see standings")
    )


async def list_standing(
    pool: Pool,
    principal: Principal,
    *,
    programme_id: str,
    year: int,
    limit: int,
    after: uuid.UUID | None,
) -> list[Row]:
    """Each designation's standing as of ``year``, in id order, ``limit`` a page after ``after``."""
    async with pool.acquire() as connection:
        return list(
            await connection.fetch(
                queries.STANDING_LIST, programme_id, year, region_pattern(principal), limit, after
            )
        )


# The province's two decisions on a designation's standing, as the designation workflow's
# updates: a major violation with its evidence revokes it at once; a revoked one is reinstated
# (``awards.designation.reinstated``).
StandingDecision = Literal["violation", "reinstatement"]
_UPDATES: dict[StandingDecision, tuple[str, type[ViolationReport] | type[Reinstatement]]] = {
    "violation": (REPORT_VIOLATION, ViolationReport),
    "reinstatement": (REINSTATE, Reinstatement),
}


async def decide_standing(
    pool: Pool,
    temporal: Client,
    principal: Principal,
    designation_id: uuid.UUID,
    decision: StandingDecision,
    body: dict[str, Any],
    *,
    claim: ClaimKey,
) -> DesignationState:
    """The province's decision on the designation, with its evidence or reason (``body``)."""
    update, argument_type = _UPDATES[decision]
    argument = argument_type.model_validate(
        {"actor": actor_of(principal), "request": request_data(), **body}
    )
    if Role.province_admin not in principal.roles:
        raise forbidden(
            t("撤销和恢复由省厅决定", "the province decides revocations and reinstatements")
        )
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(queries.DESIGNATION, designation_id)
        pattern = region_pattern(principal)
        if row is None or (pattern and not row["region_code"].startswith(pattern[:-1])):
            raise not_found(t("示范认定", "designation"), str(designation_id))
        handle = temporal.get_workflow_handle(designation_workflow_id(str(designation_id)))
        state: DesignationState = await run_update(
            handle,
            update,
            argument,
            ended=t("该示范认定的流程已结束", "the designation's workflow has ended"),
            result_type=DesignationState,
            update_id=claim.operation_id,
        )
        # The decision and its audit record were written by the workflow's activity; the key
        # is claimed here, so a retried request answers the same without a second update.
        await claim(connection, state)
    return state
