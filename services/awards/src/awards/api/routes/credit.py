"""``/v1/credit-records``: credit platforms report records (entity, kind, from, to, source
document). A blocking record in force stops the entity's applications in progress."""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from temporalio.service import RPCError

from awards.api.deps import UNAVAILABLE, Pool, Temporal, temporal_unavailable
from awards.api.schemas import CreditRecordAccepted, CreditRecordCreate
from awards.credit import (
    audit_credit_record,
    credit_record,
    stop_applications,
    store_credit_record,
)
from awards.standing.credit import revoke_for_credit_record
from shared import audit
from shared.auth import CurrentPrincipal
from shared.auth.roles import Role
from shared.http.idempotency import claim_idempotency_key
from shared.http.problems import forbidden, invalid
from shared.i18n import t

router = APIRouter(prefix="/v1/credit-records", tags=["credit"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CreditRecordAccepted,
    responses=UNAVAILABLE,  # type: ignore[arg-type]
)
async def report(
    request: Request,
    body: CreditRecordCreate,
    principal: CurrentPrincipal,
    pool: Pool,
    temporal: Temporal,
) -> CreditRecordAccepted:
    if not (Role.integrator in principal.roles and "write" in principal.grants):
        raise forbidden(
            t(
                "信用记录由获写入授权的对接系统报送",
                "credit records come from integrators granted write",
            )
        )
    if body.valid_to is not None and body.valid_to < body.valid_from:
        raise invalid(
            [{"field": "body.valid_to", "message": "before valid_from", "type": "date"}],
            t("valid_to 早于 valid_from", "valid_to is before valid_from"),
        )
    record = credit_record(**body.model_dump())
    async with pool.acquire() as connection, connection.transaction():
        in_progress = await store_credit_record(connection, record, reported_by=principal.subject)
        try:
            stopped = await stop_applications(temporal, record, in_progress)
            revoked = await revoke_for_credit_record(connection, temporal, record)
        except RPCError as exc:
            raise temporal_unavailable() from exc
        await audit_credit_record(
            connection, record, actor=audit.Actor.of(principal), stopped=stopped, revoked=revoked
        )
        accepted = CreditRecordAccepted(record_id=record.record_id, stopped_applications=stopped)
        await claim_idempotency_key(
            connection, request, status_code=201, content=accepted.model_dump(mode="json")
        )
    return accepted
