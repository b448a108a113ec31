"""What every use case shares: the programmes, the topic prefix, errors, the window look-up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared import audit
from shared.programmes import Programme, ReportingWindow, WindowSchedule
from submissions.db import queries
from submissions.db.repository import schedule_of
from submissions.domain.actors import Actor

EVENT_SOURCE = "/services/submissions"

# Runs in the use case's transaction with its result, after its writes and outbox rows and
# before the audit record: the route claims its Idempotency-Key there, so "this key was
# applied" commits with the change (shared.http). Not after the audit record, which holds the
# chain-head lock until the commit (shared.audit.records): every writer would wait for it.
BeforeCommit = Callable[[asyncpg.Connection, Any], Awaitable[None]]


@dataclass(frozen=True)
class Context:
    programmes: Mapping[str, Programme]
    topic_prefix: str = ""


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


async def load_window(
    connection: asyncpg.Connection, context: Context, window_id: str, *, for_update: bool = False
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


CLOCK_PROCESS = audit.Actor.process("submissions-worker")
CONSUMER_PROCESS = audit.Actor.process("submissions-consumer")
