"""``/v1/credit-records``: credit platforms report records (entity, kind, from, to, source
document). A blocking record in force stops the entity's applications in progress and revokes
its designations (``awards.handlers.credit``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from awards.api.deps import UNAVAILABLE, Pool, Temporal, claim_key
from awards.api.schemas import CreditRecordAccepted, CreditRecordCreate
from awards.handlers.credit import CreditOutcome, ReportedRecord, report_credit_record
from shared.auth import CurrentPrincipal

router = APIRouter(prefix="/v1/credit-records", tags=["credit"])


def _accepted(outcome: CreditOutcome) -> CreditRecordAccepted:
    return CreditRecordAccepted(
        record_id=outcome.record_id, stopped_applications=outcome.stopped_applications
    )


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
    outcome = await report_credit_record(
        pool,
        temporal,
        ReportedRecord(**body.model_dump(), reported_by=principal.subject),
        principal=principal,
        claim=claim_key(request, status_code=201, render=_accepted),
    )
    return _accepted(outcome)
