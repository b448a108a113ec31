"""What dynamic management keeps of the submissions service's events (awards' own read model;
it never reads the submissions tables), and the evaluation trigger. Each runs in the
consumer's inbox transaction.

A first submitted report gives when the report first came in; an accepted report its final
figures (a later accepted version replaces them); a locked window means the year's reports are
in: every designation of the programme still designated is signalled to evaluate that year now.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Iterable

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from awards.db import standing as queries
from awards.handlers.common import Connection
from awards.workflows.types import EVALUATE, designation_workflow_id
from shared.events.submissions import ReportAccepted, ReportSubmitted


def window_year(window_id: str) -> tuple[str, int]:
    """``<programme>.<reporting window>.<year>`` (shared/events/submissions.py)."""
    programme_id, _, year = window_id.rpartition(".")
    return programme_id.split(".")[0], int(year)


def _keyed(report: ReportSubmitted | ReportAccepted) -> tuple[str, str, int, str]:
    """What a report fact is kept under: the designation, the window, its year, the report."""
    _, year = window_year(report.window_id)
    return report.designation_id, report.window_id, year, report.report_id


async def report_submitted(
    connection: Connection, report: ReportSubmitted, *, at: dt.datetime
) -> None:
    """Keeps the earliest first submission of the designation's report for the window."""
    await connection.execute(queries.REPORT_SUBMITTED, *_keyed(report), at)


async def report_accepted(
    connection: Connection, report: ReportAccepted, *, at: dt.datetime
) -> None:
    """Keeps the accepted figures of the latest accepted version."""
    await connection.execute(
        queries.REPORT_ACCEPTED, *_keyed(report), report.version, report.figures, at
    )


async def window_locked(
    connection: Connection, temporal: Callable[[], Awaitable[Client]], window_id: str
) -> int:
    """Signals every designation of the window's programme still designated to evaluate the
    window's year now; how many were signalled."""
    programme_id, year = window_year(window_id)
    rows = await connection.fetch(queries.ACTIVE_DESIGNATIONS, programme_id, year)
    return await signal_evaluation(await temporal(), [str(r["id"]) for r in rows], year)


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
                await handle.signal(EVALUATE, year)
            except RPCError as exc:
                if exc.status is not RPCStatusCode.NOT_FOUND:
                    raise
                return 0
            return 1

    return sum(await asyncio.gather(*(one(d) for d in designation_ids)))
