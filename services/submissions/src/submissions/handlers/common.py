"""What every use case shares: the programmes, the topic prefix, errors, the window look-up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

import asyncpg

from shared import audit
from shared.events.envelope import DomainEvent
from shared.messaging.outbox import append_events
from shared.programmes import Programme, ReportingWindow, WindowSchedule
from shared.settings import event_source_of
from shared.working_days import WorkingDayCalendar
from submissions.db import queries
from submissions.db.attachments import AttachmentStore, PostgresAttachmentStore
from submissions.db.repository import schedule_of
from submissions.domain.actors import Actor
from submissions.domain.review import ReviewStep

# The driver's types under the names the routes and processes hold them by, so that only use
# cases and SQL modules import the driver: the pool a use case takes, the connection of its
# transaction (a ``BeforeCommit``'s first argument) and a stored row.
Pool: TypeAlias = asyncpg.Pool
Connection: TypeAlias = asyncpg.Connection
Row: TypeAlias = asyncpg.Record

# Processes pass the deployment's source (settings.event_source); this is for tests and tools.
DEFAULT_EVENT_SOURCE = event_source_of("submissions")

# Runs in the use case's transaction with its result, after its writes and outbox rows: the
# route claims its Idempotency-Key there, so "this key was applied" commits with the change
# (shared.http).
BeforeCommit = Callable[[Connection, Any], Awaitable[None]]


class ClaimInStatement(Protocol):
    """A route's Idempotency-Key claim made by the change's own statement (``StatementClaim``
    in shared.http): its parameters for the result the statement will store, then whether
    the statement claimed (it raises the 409 when a key was not)."""

    def arguments(self, result: Any) -> Sequence[Any]: ...
    def confirm(self, claimed: bool) -> None: ...


# Answers the stored row (a report, a roster entry) when the caller may see it; raises (404)
# when it is absent (None) or another's.
Visible = Callable[[Mapping[str, Any] | None], Mapping[str, Any]]


@dataclass(frozen=True)
class Context:
    """What the use cases share, built once by ``submissions.bootstrap``: the programme files,
    where events go, where attachments' files are kept, and the process's working-day
    calendar (the clocks refresh it from ``calendar_years`` before they plan)."""

    programmes: Mapping[str, Programme]
    topic_prefix: str = ""
    event_source: str = DEFAULT_EVENT_SOURCE
    attachments: AttachmentStore = field(default_factory=PostgresAttachmentStore)
    calendar: WorkingDayCalendar = field(default_factory=WorkingDayCalendar)

    async def publish(self, connection: Connection, events: Sequence[DomainEvent]) -> None:
        """The change's events into the outbox, in its transaction, under this deployment's
        topics and source."""
        await append_events(
            connection, list(events), source=self.event_source, topic_prefix=self.topic_prefix
        )


@dataclass(frozen=True)
class Scope:
    """The records a caller may read, as the list statements take it
    (``shared.auth.scope.read_visibility``): everything, or the regions under
    ``region_patterns`` (LIKE patterns) and the entities ``entity_ids``."""

    everything: bool
    region_patterns: list[str]
    entity_ids: list[str]

    def arguments(self) -> tuple[bool, list[str], list[str]]:
        return self.everything, self.region_patterns, self.entity_ids


class NotFound(Exception):
    def __init__(self, what: str, identifier: str) -> None:
        super().__init__(f"no {what} {identifier}")
        self.what = what
        self.identifier = identifier


@dataclass(frozen=True)
class WindowParts:
    row: Mapping[str, Any]
    programme: Programme
    reporting_window: ReportingWindow
    schedule: WindowSchedule


def window_parts(context: Context, row: Mapping[str, Any]) -> WindowParts:
    programme = context.programmes[row["programme_id"]]
    reporting_window = programme.reporting_window(row["window_slug"])
    return WindowParts(row, programme, reporting_window, schedule_of(row, reporting_window))


async def find_window(pool: Pool, context: Context, window_id: str) -> Row:
    """The window of one of the programmes served here; ``NotFound`` otherwise."""
    row = await pool.fetchrow(queries.WINDOW, window_id)
    if row is None or row["programme_id"] not in context.programmes:
        raise NotFound("window", window_id)
    return row


async def load_window(
    connection: Connection, context: Context, window_id: str, *, for_update: bool = False
) -> WindowParts:
    row = await connection.fetchrow(
        queries.WINDOW_FOR_UPDATE if for_update else queries.WINDOW, window_id
    )
    if row is None or row["programme_id"] not in context.programmes:
        raise NotFound("window", window_id)
    return window_parts(context, row)


def audit_actor(actor: Actor) -> audit.Actor:
    """The acting user as the audit trail records it (subject, role, region)."""
    return audit.Actor(subject=actor.id, roles=(actor.role.value,), region_code=actor.region_code)


async def record_review_step(
    connection: Connection,
    step: ReviewStep,
    *,
    resource_type: str,
    stored: Mapping[str, Any],
    details: Mapping[str, Any],
) -> None:
    """The audit record of one review step on a stored report: who, from which state to which,
    why, and the comments on named fields (after ``details``)."""
    await audit.record_change_by(
        connection,
        audit_actor(step.actor),
        f"{resource_type}.{step.action.value}",
        audit.Resource(resource_type, stored["id"], stored["region_code"]),
        reason=step.reason,
        before={"state": step.from_state.value},
        after={"state": step.to_state.value},
        details={
            **details,
            "version": step.version,
            "field_comments": dict(step.field_comments),
        },
    )


CLOCK_PROCESS = audit.Actor.process("submissions-worker")
CONSUMER_PROCESS = audit.Actor.process("submissions-consumer")


async def publish_and_claim(
    connection: Connection,
    context: Context,
    events: Sequence[DomainEvent],
    *,
    before_commit: BeforeCommit | None,
    result: Any,
) -> None:
    """The change's events into the outbox, then the route's Idempotency-Key claim with the
    result, all in the change's transaction."""
    if events:
        await context.publish(connection, events)
    if before_commit is not None:
        await before_commit(connection, result)
