"""What dynamic management takes from the submissions service's events (awards' own read
model; it never reads the submissions tables), and the evaluation trigger.

``submissions.report.submitted`` (first) gives when the report first came in;
``submissions.report.accepted`` its final figures (a later accepted version replaces them);
``submissions.window.locked`` means the year's reports are in: every designation of the
programme still designated is signalled to evaluate that year now.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Iterable

import asyncpg
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from awards.standing import queries
from awards.standing.types import designation_workflow_id
from awards.workflows.designation import DesignationWorkflow
from shared.events import EventEnvelope
from shared.events.envelope import DomainEvent
from shared.events.submissions import ReportAccepted, ReportSubmitted, WindowLocked

TOPICS = ("submissions.report", "submissions.window")


def window_year(window_id: str) -> tuple[str, int]:
    """``<programme>.<reporting window>.<year>`` (shared/events/submissions.py)."""
    programme_id, _, year = window_id.rpartition(".")
    return programme_id.split(".")[0], int(year)


def _time(envelope: EventEnvelope | None) -> dt.datetime:
    """When the event happened (its envelope's time; now for a caller without an envelope)."""
    return envelope.time if envelope is not None else dt.datetime.now(dt.UTC)


async def on_report_submitted(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope | None
) -> None:
    assert isinstance(event, ReportSubmitted)
    _, year = window_year(event.window_id)
    await connection.execute(
        queries.REPORT_SUBMITTED, event.designation_id, event.window_id, year, event.report_id,
        _time(envelope),
    )  # fmt: skip


async def on_report_accepted(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope | None
) -> None:
    assert isinstance(event, ReportAccepted)
    _, year = window_year(event.window_id)
    await connection.execute(
        queries.REPORT_ACCEPTED, event.designation_id, event.window_id, year, event.report_id,
        event.version, event.figures, _time(envelope),
    )  # fmt: skip


async def signal_evaluation(
    client: Client, designation_ids: Iterable[str], year: int, *, concurrency: int = 64
) -> int:
    """Signals each designation's workflow to evaluate ``year`` (idempotent: a repeated signal
    changes nothing). A designation whose workflow has ended is skipped."""
    gate = asyncio.Semaphore(concurrency)

    async def one(designation_id: str) -> int:
        async with gate:
            handle = client.get_workflow_handle(designation_workflow_id(designation_id))
            try:
                await handle.signal(DesignationWorkflow.evaluate, year)
            except RPCError as exc:
                if exc.status is not RPCStatusCode.NOT_FOUND:
                    raise
                return 0
            return 1

    return sum(await asyncio.gather(*(one(d) for d in designation_ids)))


def on_window_locked(
    client: Callable[[], Awaitable[Client]],
) -> Callable[[asyncpg.Connection, DomainEvent, EventEnvelope], Awaitable[None]]:
    async def handle(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, WindowLocked)
        programme_id, year = window_year(event.window_id)
        rows = await connection.fetch(queries.ACTIVE_DESIGNATIONS, programme_id, year)
        await signal_evaluation(await client(), [str(r["id"]) for r in rows], year)

    return handle
