"""Credit records from outside systems (REST and the ``credit.record`` topic), one use case for
both: the record is kept; a blocking record in force (失信联合惩戒) stops every application of the
entity still in progress and revokes each of its designations still designated, through their
workflows' updates; the record's audit row comes last.

The updates' ids name the record, so a record reported again (a retried request, a redelivered
event) stops and revokes nothing twice."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from awards.db import queries
from awards.db import standing as standing_queries
from awards.domain.application import Action
from awards.domain.credit import CreditKind, CreditRecord
from awards.handlers.common import ClaimKey, Connection, Pool, Row
from awards.handlers.updates import temporal_unavailable
from awards.workflows.types import (
    REPORT_VIOLATION,
    TAKE_STEP,
    ActorData,
    StepRequest,
    ViolationReport,
    designation_workflow_id,
)
from shared import audit
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.china_time import CHINA
from shared.http.problems import forbidden, invalid
from shared.i18n import t

CREDIT_ACTOR = ActorData(subject="credit-records", roles=("integrator",))

# The Temporal client, connected when a record first needs it (a record that blocks nothing
# never waits on Temporal).
TemporalSource = Callable[[], Awaitable[Client]]


@dataclass(frozen=True)
class ReportedRecord:
    """A credit record as reported; ``kind`` as sent (a kind this version does not know is
    kept as reported and blocks nothing)."""

    record_id: str
    entity_id: str
    kind: str
    valid_from: dt.date
    valid_to: dt.date | None
    source_document: str
    reported_by: str | None


@dataclass(frozen=True)
class CreditOutcome:
    record_id: str
    stopped_applications: list[uuid.UUID]
    revoked_designations: list[str]


def _known(reported: ReportedRecord) -> CreditRecord | None:
    try:
        kind = CreditKind(reported.kind)
    except ValueError:
        return None
    return CreditRecord(
        record_id=reported.record_id,
        entity_id=reported.entity_id,
        kind=kind,
        valid_from=reported.valid_from,
        valid_to=reported.valid_to,
        source_document=reported.source_document,
    )


async def record_credit(
    connection: Connection,
    temporal: TemporalSource,
    reported: ReportedRecord,
    *,
    actor: audit.Actor,
) -> CreditOutcome:
    """In the caller's transaction (the request's, or the consumer's inbox transaction)."""
    await connection.execute(
        queries.INSERT_CREDIT_RECORD,
        reported.record_id,
        reported.entity_id,
        reported.kind,
        reported.valid_from,
        reported.valid_to,
        reported.source_document,
        reported.reported_by,
    )
    record = _known(reported)
    if record is None:
        return CreditOutcome(reported.record_id, [], [])
    stopped: list[uuid.UUID] = []
    revoked: list[str] = []
    if record.blocks(dt.datetime.now(CHINA).date()):
        in_progress = await connection.fetch(queries.APPLICATIONS_IN_PROGRESS_OF, record.entity_id)
        if in_progress:
            stopped = await _stop_applications(await temporal(), record, in_progress)
        designated = await connection.fetch(
            standing_queries.DESIGNATIONS_OF_ENTITY, record.entity_id
        )
        if designated:
            revoked = await _revoke_designations(await temporal(), record, designated)
    await _audit(connection, record, actor=actor, stopped=stopped, revoked=revoked)
    return CreditOutcome(record.record_id, stopped, revoked)


async def report_credit_record(
    pool: Pool,
    temporal: Client,
    reported: ReportedRecord,
    *,
    principal: Principal,
    claim: ClaimKey,
) -> CreditOutcome:
    """An integrator's report over REST, in its own transaction with the key's claim."""
    if not (Role.integrator in principal.roles and "write" in principal.grants):
        raise forbidden(
            t(
                "信用记录由获写入授权的对接系统报送",
                "credit records come from integrators granted write",
            )
        )
    if reported.valid_to is not None and reported.valid_to < reported.valid_from:
        raise invalid(
            [{"field": "body.valid_to", "message": "before valid_from", "type": "date"}],
            t("valid_to 早于 valid_from", "valid_to is before valid_from"),
        )

    async def connected() -> Client:
        return temporal

    actor = audit.Actor.of(principal)
    async with pool.acquire() as connection, connection.transaction():
        try:
            outcome = await record_credit(connection, connected, reported, actor=actor)
        except RPCError as exc:
            raise temporal_unavailable() from exc
        await claim(connection, outcome)
    return outcome


async def _stop_applications(
    temporal: Client, record: CreditRecord, applications: list[Row]
) -> list[uuid.UUID]:
    stopped = []
    for application in applications:
        handle = temporal.get_workflow_handle(application["workflow_id"])
        try:
            await handle.execute_update(
                TAKE_STEP,
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


async def _revoke_designations(
    temporal: Client, record: CreditRecord, designations: list[Row]
) -> list[str]:
    """A blocking record in force is a major violation reported by an outside system: each
    designation is revoked at once, through its workflow's ``report_violation`` update."""
    revoked = []
    for row in designations:
        handle = temporal.get_workflow_handle(designation_workflow_id(str(row["id"])))
        report = ViolationReport(
            actor=CREDIT_ACTOR,
            reason=record.describe(),
            evidence={
                "credit_record": record.record_id,
                "kind": str(record.kind),
                "valid_from": str(record.valid_from),
                "source_document": record.source_document,
            },
        )
        try:
            await handle.execute_update(REPORT_VIOLATION, report, id=f"credit-{record.record_id}")
        except WorkflowUpdateFailedError:
            continue  # already revoked
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            continue  # its workflow has ended (the programme is over)
        revoked.append(str(row["id"]))
    return revoked


async def _audit(
    connection: Connection,
    record: CreditRecord,
    *,
    actor: audit.Actor,
    stopped: list[uuid.UUID],
    revoked: list[str],
) -> None:
    """The record's audit row, with the stops it made and the designations it revoked (each
    stop audits itself too, in its own activity's transaction)."""
    await audit.record_change_by(
        connection,
        actor,
        "credit_record.reported",
        audit.Resource("credit_record", record.record_id),
        after={
            "entity_id": record.entity_id,
            "kind": str(record.kind),
            "valid_from": record.valid_from,
            "valid_to": record.valid_to,
            "source_document": record.source_document,
        },
        details={
            "stopped_applications": [str(a) for a in stopped],
            "revoked_designations": revoked,
        },
    )
