"""Use cases of the awards service. Each writes its state, its events (outbox) and its audit
record in one transaction; the workflow's activities call them with a seq the workflow
numbered, so a retried activity finds its step written and changes nothing (and audits
nothing twice). The audit record carries the person who took the step and the facts of their
HTTP request, which the workflow carried to the activity (docs/audit.md)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import asyncpg

from awards.config import DEFAULT_EVENT_SOURCE
from awards.db import queries
from awards.domain.application import Stage
from awards.workflows.types import ApplicationStart, GrantRequest, RequestData, StepRecord
from shared import audit
from shared.events.awards import ApplicationStageChanged, ApplicationSubmitted, ReviewOverdue
from shared.events.designations import DesignationGranted
from shared.events.envelope import DomainEvent
from shared.messaging.outbox import append_events

DESIGNATION_NAMESPACE = uuid.UUID("5b0b2f57-6f0c-4b8e-9a59-3f0d6f1c1a10")


WORKER = audit.Actor.process("awards-worker")


@contextlib.contextmanager
def request_context(request: RequestData | None) -> Iterator[None]:
    """The step's HTTP request as the audit context (the activity runs outside it)."""
    if request is None:
        yield
        return
    token = audit.use_request(
        audit.RequestFacts(
            request_id=request.request_id,
            client_ip=request.client_ip,
            user_agent=request.user_agent,
        )
    )
    try:
        yield
    finally:
        token.var.reset(token)


def designation_id_for(application_id: str) -> uuid.UUID:
    """One designation per application, the same on every retry."""
    return uuid.uuid5(DESIGNATION_NAMESPACE, application_id)


async def record_submission(
    connection: asyncpg.Connection,
    start: ApplicationStart,
    *,
    at: object,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> bool:
    """Writes the application and its first step; False when already written."""
    applicant, terms = start.applicant, start.terms
    row = await connection.fetchrow(
        queries.INSERT_APPLICATION,
        uuid.UUID(start.application_id),
        f"awards-application-{start.application_id}",
        terms.programme_id,
        terms.year,
        terms.category,
        applicant.entity_type,
        applicant.entity_id,
        applicant.entity_name,
        applicant.region_code,
        applicant.owner_enterprise_id,
        start.materials,
        start.submitted_by.subject,
        at,
    )
    if row is None:
        return False
    await connection.execute(
        queries.INSERT_STEP,
        row["id"],
        0,
        "submit",
        "city_review",
        start.submitted_by.subject,
        start.submitted_by.role,
        None,
        {},
        at,
    )
    event = ApplicationSubmitted(
        application_id=start.application_id,
        programme_id=terms.programme_id,
        year=terms.year,
        category=terms.category,
        entity_type=applicant.entity_type,
        entity_id=applicant.entity_id,
        region_code=applicant.region_code,
        submitted_by=start.submitted_by.subject,
    )
    await append_events(connection, [event], source=event_source, topic_prefix=topic_prefix)
    submitter = start.submitted_by
    with request_context(start.request):
        await audit.record_change(
            connection,
            actor=audit.Actor(submitter.subject, submitter.roles, submitter.region_code),
            action="application.submitted",
            resource_type="application",
            resource_id=start.application_id,
            region_code=applicant.region_code,
            after={
                "programme_id": terms.programme_id,
                "year": terms.year,
                "category": terms.category,
                "entity_type": applicant.entity_type,
                "entity_id": applicant.entity_id,
                "stage": "city_review",
            },
            details={"materials": sorted(start.materials)},
        )
    return True


async def record_step(
    connection: asyncpg.Connection,
    record: StepRecord,
    *,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> bool:
    """Writes one step of the timeline and the application's new stage; False if written."""
    application_id = uuid.UUID(record.application_id)
    inserted = await connection.fetchval(
        queries.INSERT_STEP,
        application_id,
        record.seq,
        record.step,
        record.stage_after,
        record.actor,
        record.role,
        record.reason,
        record.detail,
        record.at,
    )
    if inserted is None:
        return False
    await connection.execute(
        queries.APPLY_STEP,
        application_id,
        record.stage_after,
        record.waiting_on,
        record.seq,
        record.materials,
        record.city_rank,
        record.score,
        record.passed,
        record.notice_last_day,
    )
    events: list[DomainEvent] = []
    if record.overdue_due_at is not None:
        events.append(
            ReviewOverdue(
                application_id=record.application_id,
                programme_id=record.programme_id,
                region_code=record.region_code,
                city_code=f"{record.region_code[:4]}00",
                due_at=record.overdue_due_at,
            )
        )
    else:
        events.append(
            ApplicationStageChanged(
                application_id=record.application_id,
                programme_id=record.programme_id,
                region_code=record.region_code,
                step=record.step,
                stage=record.stage_after,
                waiting_on=record.waiting_on,
                actor=record.actor,
                reason=record.reason,
            )
        )
    await append_events(connection, events, source=event_source, topic_prefix=topic_prefix)
    actor = (
        audit.Actor(record.actor, record.actor_roles, record.actor_region)
        if record.actor_roles
        else WORKER
    )
    with request_context(record.request):
        await audit.record_change(
            connection,
            actor=actor,
            action=f"application.{record.step}",
            resource_type="application",
            resource_id=record.application_id,
            region_code=record.region_code,
            before=None if record.stage_before is None else {"stage": record.stage_before},
            after={"stage": record.stage_after},
            reason=record.reason,
            details=record.detail or None,
        )
    return True


async def grant_designation(
    connection: asyncpg.Connection,
    grant: GrantRequest,
    *,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> str:
    """The designation row, its step and ``awards.designation.granted``, once."""
    designation_id = designation_id_for(grant.application_id)
    terms, applicant = grant.terms, grant.applicant
    row = await connection.fetchrow(
        queries.INSERT_DESIGNATION,
        designation_id,
        uuid.UUID(grant.application_id),
        terms.programme_id,
        terms.year,
        terms.category,
        applicant.entity_type,
        applicant.entity_id,
        applicant.entity_name,
        applicant.region_code,
        terms.title,
        grant.designated_on,
        terms.legal_basis,
        grant.recommended_for_national,
    )
    if row is None:
        return str(designation_id)
    await record_step(
        connection,
        StepRecord(
            application_id=grant.application_id,
            programme_id=terms.programme_id,
            region_code=applicant.region_code,
            seq=grant.seq,
            step="designate",
            stage_after=Stage.designated,
            waiting_on=None,
            actor=grant.actor,
            role=None,
            reason="public notice ended without an upheld objection",
            detail={"designation_id": str(designation_id), "title": terms.title},
            at=grant.at,
        ),
        topic_prefix=topic_prefix,
        event_source=event_source,
    )
    granted = DesignationGranted(
        designation_id=str(designation_id),
        programme_id=terms.programme_id,
        category=terms.category,
        entity_type=applicant.entity_type,
        entity_id=applicant.entity_id,
        region_code=applicant.region_code,
        title=terms.title,
        designated_on=grant.designated_on,
        year=terms.year,
        legal_basis=terms.legal_basis,
        recommended_for_national=grant.recommended_for_national,
        application_id=grant.application_id,
    )
    await append_events(connection, [granted], source=event_source, topic_prefix=topic_prefix)
    return str(designation_id)
