"""A blocking credit record in force (失信联合惩戒: 失信被执行人, 严重违法失信) is a major
violation reported by an outside system: each designation of the entity still designated is
revoked at once, through its workflow's ``report_violation`` update. The update id names the
record, so a redelivered record revokes nothing twice."""

from __future__ import annotations

import datetime as dt

import asyncpg
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from awards.domain.credit import BLOCKING_KINDS, CreditRecord
from awards.standing import queries
from awards.standing.types import ViolationReport, designation_workflow_id
from awards.workflows.designation import DesignationWorkflow
from awards.workflows.types import ActorData

CREDIT_PLATFORM = ActorData(subject="credit-records", roles=("integrator",))


async def revoke_for_credit_record(
    connection: asyncpg.Connection, temporal: Client, record: CreditRecord
) -> list[str]:
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    if record.kind not in BLOCKING_KINDS or not record.in_force(today):
        return []
    revoked = []
    for row in await connection.fetch(queries.DESIGNATIONS_OF_ENTITY, record.entity_id):
        handle = temporal.get_workflow_handle(designation_workflow_id(str(row["id"])))
        report = ViolationReport(
            actor=CREDIT_PLATFORM,
            reason=record.describe(),
            evidence={
                "credit_record": record.record_id,
                "kind": str(record.kind),
                "valid_from": str(record.valid_from),
                "source_document": record.source_document,
            },
        )
        try:
            await handle.execute_update(
                DesignationWorkflow.report_violation, report, id=f"credit-{record.record_id}"
            )
        except WorkflowUpdateFailedError:
            continue  # already revoked
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            continue  # its workflow has ended (the programme is over)
        revoked.append(str(row["id"]))
    return revoked
