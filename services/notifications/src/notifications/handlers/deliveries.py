"""The delivery ledger as the API reads it: the province reads every delivery in its province,
a city or county bureau those of its own office; the province re-sends a failed one (audited)."""

from __future__ import annotations

import uuid

from notifications.db import queries
from notifications.db.repository import attempts_of
from notifications.handlers.common import (
    BeforeCommit,
    Pool,
    Row,
    Slice,
    newest_first_after,
    newest_first_next,
)
from shared import audit
from shared.auth.principal import Principal
from shared.auth.scope import may_resend_deliveries, office_scope
from shared.http import catalogue
from shared.http.problems import ProblemError, forbidden, not_found
from shared.i18n import t

# A delivery with its attempts, oldest first.
Delivery = tuple[Row, list[Row]]


async def list_deliveries(
    pool: Pool,
    principal: Principal,
    *,
    status: str | None,
    channel: str | None,
    subject_id: str | None,
    event_id: str | None,
    cursor: str | None,
    limit: int,
) -> Slice[Delivery]:
    scope = office_scope(principal)
    if scope is None:
        raise forbidden(
            t(
                "投递记录由省厅查阅，各部门仅查阅本部门的",
                "deliveries are read by the province and by each bureau for itself",
            )
        )
    created_at, last_id = newest_first_after(cursor) or (None, None)
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            queries.LIST_DELIVERIES,
            None if scope.everything else scope.region_pattern,
            status,
            channel,
            subject_id,
            event_id,
            created_at,
            last_id,
            limit + 1,
        )
        # A bureau sees its own office only: the role is checked here, the region in SQL.
        fetched = [row for row in rows if scope.covers(row["region_code"], row["role"])]
        history = await attempts_of(connection, [row["id"] for row in fetched[:limit]])
    items = [(row, history[row["id"]]) for row in fetched[:limit]]
    return Slice(items, newest_first_next(rows, limit))


async def resend(
    pool: Pool, principal: Principal, delivery_id: uuid.UUID, *, before_commit: BeforeCommit
) -> Delivery:
    """Queue a failed delivery again (the province only); audited."""
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(queries.DELIVERY_FOR_UPDATE, delivery_id)
        scope = office_scope(principal)
        if row is None or scope is None or not scope.covers(row["region_code"], row["role"]):
            raise not_found(t("投递记录", "delivery"), str(delivery_id))
        if not may_resend_deliveries(principal, region_code=row["region_code"]):
            raise forbidden(t("仅省厅可重新投递", "only the province re-sends a delivery"))
        if row["status"] != "failed":
            raise ProblemError(
                catalogue.DELIVERY_NOT_FAILED,
                t(f"该投递的状态为 {row['status']}", f"the delivery is {row['status']}"),
            )
        updated = await connection.fetchrow(queries.RESEND, delivery_id)
        history = await attempts_of(connection, [delivery_id])
        resent = (updated, history[delivery_id])
        await before_commit(connection, resent)
        await audit.record_change_by(
            connection,
            principal,
            "delivery.resent",
            audit.Resource("delivery", delivery_id, row["region_code"]),
            before={"status": "failed", "reason": row["reason"]},
            after={"status": "queued"},
        )
    return resent
