"""Use cases of an application: its timeline written by the workflow's activities, and what a
person reads of it or asks of it.

The activities call the writes with a seq the workflow numbered, so a retried activity finds
its step written and changes nothing (and audits nothing twice). The audit record carries the
person who took the step and the facts of their HTTP request, which the workflow carried to the
activity (docs/audit.md). State, events (outbox) and audit record commit together: a step's
write is one statement, the submission's a transaction of its own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from awards.config import DEFAULT_EVENT_SOURCE
from awards.db import queries, repository
from awards.handlers import experts
from awards.handlers.common import (
    WORKER,
    Connection,
    Pool,
    Row,
    request_context,
)
from awards.workflows.types import (
    ApplicationStart,
    PanelRequest,
    PanelResult,
    StepRecord,
    workflow_id_for,
)
from shared import audit
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.auth.scope import may_see_region
from shared.events.awards import ApplicationStageChanged, ApplicationSubmitted, ReviewOverdue
from shared.events.envelope import DomainEvent
from shared.http.problems import not_found
from shared.i18n import t
from shared.messaging.outbox import append_events, outbox_arguments

# The roles with a queue of applications waiting for them.
QUEUED_ROLES = (Role.city_bureau, Role.province_admin, Role.operator, Role.expert)


async def record_submission(
    pool: Pool,
    start: ApplicationStart,
    *,
    at: dt.datetime,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> bool:
    """Writes the application and its first step; False when already written."""
    async with pool.acquire() as connection, connection.transaction():
        return await _record_submission(
            connection, start, at=at, topic_prefix=topic_prefix, event_source=event_source
        )


async def _record_submission(
    connection: Connection,
    start: ApplicationStart,
    *,
    at: dt.datetime,
    topic_prefix: str,
    event_source: str,
) -> bool:
    applicant, terms = start.applicant, start.terms
    row = await connection.fetchrow(
        queries.INSERT_APPLICATION,
        uuid.UUID(start.application_id),
        workflow_id_for(start.application_id),
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
        await audit.record_change_by(
            connection,
            audit.Actor(submitter.subject, submitter.roles, submitter.region_code),
            "application.submitted",
            audit.Resource("application", start.application_id, applicant.region_code),
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
    pool: Pool,
    record: StepRecord,
    *,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> bool:
    """Writes one step of the timeline and the application's new stage; False if written.
    One statement, atomic on its own: no transaction around it (one round trip, not five)."""
    async with pool.acquire() as connection:
        return await write_step(
            connection, record, topic_prefix=topic_prefix, event_source=event_source
        )


async def record_steps(
    pool: Pool,
    records: Sequence[StepRecord],
    *,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> bool:
    """``record_step`` for several steps in order, on one connection; False if all were written
    already. Each is atomic and written once (by its seq), so a retry after a crash between
    them writes what is missing."""
    written = False
    async with pool.acquire() as connection:
        for record in records:
            written |= await write_step(
                connection, record, topic_prefix=topic_prefix, event_source=event_source
            )
    return written


async def draw_panel_with_step(
    pool: Pool,
    request: PanelRequest,
    record: StepRecord,
    *,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> PanelResult:
    """The panel drawn (``experts.draw_panel``) and the step that drew it, its detail the panel,
    in one transaction. ``PanelShort`` writes neither."""
    async with pool.acquire() as connection, connection.transaction():
        drawn = await experts.seat_panel(connection, request)
        step = record.model_copy(update={"detail": {**record.detail, **drawn.detail()}})
        await write_step(connection, step, topic_prefix=topic_prefix, event_source=event_source)
    return drawn


async def write_step(
    connection: Connection,
    record: StepRecord,
    *,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> bool:
    """``record_step`` on a connection, or in the caller's transaction (a designation writes
    its step with it): the step, the application's stage, the step's event and its audit
    record in one statement (``queries.WRITE_STEP``); the event and the record only when the
    step is written now (a retried write finds it and writes nothing)."""
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
    actor = (
        audit.Actor(record.actor, record.actor_roles, record.actor_region)
        if record.actor_roles
        else WORKER
    )
    with request_context(record.request):
        audited = audit.change_record(
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
    inserted = await connection.fetchval(
        queries.WRITE_STEP,
        uuid.UUID(record.application_id),
        record.seq,
        record.step,
        record.stage_after,
        record.actor,
        record.role,
        record.reason,
        record.detail,
        record.at,
        record.waiting_on,
        record.materials,
        record.city_rank,
        record.score,
        record.passed,
        record.notice_last_day,
        record.scored_by,
        *outbox_arguments(events, source=event_source, topic_prefix=topic_prefix),
        *audited.arguments,
    )
    return inserted is not None


def may_see(principal: Principal, row: Row | Mapping[str, Any], panel: Sequence[Row]) -> bool:
    """The application's region, its operator, or an expert on its panel."""
    if may_see_region(principal, row["region_code"]):
        return True
    if Role.operator in principal.roles and row["owner_enterprise_id"] in principal.enterprise_ids:
        return True
    return Role.expert in principal.roles and any(
        p["expert_id"] == principal.subject for p in panel
    )


async def visible_application(
    connection: Connection, principal: Principal, application_id: uuid.UUID
) -> Row:
    """The application, if the caller may see it; a 404 problem otherwise (as if absent)."""
    row = await repository.application(connection, application_id)
    if row is None:
        raise not_found(t("申报", "application"), str(application_id))
    # The panel matters only when neither the region nor the operator's ownership shows the
    # application (an expert's step): read it then. The offices' steps, most of a round's, read
    # one statement instead of two.
    if may_see(principal, row, ()):
        return row
    if not may_see(principal, row, await repository.panel(connection, application_id)):
        raise not_found(t("申报", "application"), str(application_id))
    return row


@dataclass(frozen=True)
class ApplicationRead:
    application: Row
    steps: list[Row]


async def read_application(
    pool: Pool, principal: Principal, application_id: uuid.UUID
) -> ApplicationRead:
    async with pool.acquire() as connection:
        row = await visible_application(connection, principal, application_id)
        steps = await repository.steps(connection, application_id)
    return ApplicationRead(row, steps)


@dataclass(frozen=True)
class WaitingPage:
    items: list[Row]
    last: Row | None
    """The page's last row when more follow (the next page reads on after it), else None."""


async def waiting_for(
    pool: Pool,
    principal: Principal,
    *,
    limit: int,
    after: tuple[dt.datetime, uuid.UUID] | None,
) -> WaitingPage:
    """What is waiting for the caller's roles, newest first, ``limit`` a page after ``after``."""
    after_at, after_id = after or (None, None)
    found: dict[uuid.UUID, Row] = {}
    async with pool.acquire() as connection:
        for role in sorted(principal.roles):
            region = principal.region_code
            pattern = None
            if role in (Role.city_bureau, Role.province_admin):
                if region is None:
                    continue
                pattern = region[:4] + "%" if role is Role.city_bureau else region[:2] + "%"
            owned = sorted(principal.enterprise_ids) if role is Role.operator else None
            expert = principal.subject if role is Role.expert else None
            if role not in QUEUED_ROLES:
                continue
            rows = await connection.fetch(
                queries.WAITING, str(role), pattern, owned, expert, limit + 1, after_at, after_id
            )
            for row in rows:
                found[row["id"]] = row
    # Each role's page holds the newest after the cursor, so their union holds the page.
    ordered = sorted(found.values(), key=lambda r: (r["updated_at"], r["id"]), reverse=True)
    last = ordered[limit - 1] if len(ordered) > limit else None
    return WaitingPage(items=ordered[:limit], last=last)
