"""Credit records from outside systems (REST and the ``credit.record`` topic): kept, and every
application of the entity still in progress is stopped with the reason (失信联合惩戒)."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from awards.db import queries
from awards.domain.application import Action
from awards.domain.credit import BLOCKING_KINDS, CreditKind, CreditRecord
from awards.workflows.types import ActorData, StepRequest
from awards.workflows.workflows import ApplicationWorkflow
from shared import audit

CREDIT_ACTOR = ActorData(subject="credit-records", roles=("integrator",))


async def store_credit_record(
    connection: asyncpg.Connection, record: CreditRecord, *, reported_by: str | None
) -> list[asyncpg.Record]:
    """Keeps the record; returns the applications it must stop (blocking and in force)."""
    await connection.execute(
        queries.INSERT_CREDIT_RECORD,
        record.record_id,
        record.entity_id,
        record.kind,
        record.valid_from,
        record.valid_to,
        record.source_document,
        reported_by,
    )
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    if record.kind not in BLOCKING_KINDS or not record.in_force(today):
        return []
    return list(await connection.fetch(queries.APPLICATIONS_IN_PROGRESS_OF, record.entity_id))


async def audit_credit_record(
    connection: asyncpg.Connection,
    record: CreditRecord,
    *,
    actor: audit.Actor,
    stopped: list[uuid.UUID],
    revoked: list[str] | None = None,
) -> None:
    """The record's audit row, written last: only after the stop updates have run. Each stop
    audits itself in its activity's transaction, which takes the chain lock; holding that lock
    here while waiting on those updates would deadlock."""
    await audit.record_change(
        connection,
        actor=actor,
        action="credit_record.reported",
        resource_type="credit_record",
        resource_id=record.record_id,
        after={
            "entity_id": record.entity_id,
            "kind": str(record.kind),
            "valid_from": record.valid_from,
            "valid_to": record.valid_to,
            "source_document": record.source_document,
        },
        details={
            "stopped_applications": [str(a) for a in stopped],
            "revoked_designations": revoked or [],
        },
    )


async def stop_applications(
    temporal: Client, record: CreditRecord, applications: list[asyncpg.Record]
) -> list[uuid.UUID]:
    """Sends the stop step; the update id names the record, so a redelivery stops once."""
    stopped = []
    for application in applications:
        handle = temporal.get_workflow_handle(application["workflow_id"])
        try:
            await handle.execute_update(
                ApplicationWorkflow.take_step,
                StepRequest(action=Action.stop, actor=CREDIT_ACTOR, reason=record.describe()),
                id=f"credit-{record.record_id}",
            )
        except WorkflowUpdateFailedError:
            continue  # already final: nothing to stop
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            continue
        stopped.append(application["id"])
    return stopped


def credit_record(
    *,
    record_id: str,
    entity_id: str,
    kind: str,
    valid_from: dt.date,
    valid_to: dt.date | None,
    source_document: str,
) -> CreditRecord:
    return CreditRecord(
        record_id=record_id,
        entity_id=entity_id,
        kind=CreditKind(kind),
        valid_from=valid_from,
        valid_to=valid_to,
        source_document=source_document,
    )
