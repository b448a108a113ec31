"""Reading a window's completeness (the roster as denominator) from the database."""

from __future__ import annotations

import datetime as dt

from submissions.db import queries
from submissions.db.repository import extension_of, load_roster
from submissions.domain.completeness import Completeness, ReportStatus, completeness
from submissions.domain.review import ReportState
from submissions.handlers.common import Connection, Context, Pool, WindowParts, load_window


async def granted_due_times(connection: Connection, window_id: str) -> dict[str, list[dt.datetime]]:
    granted: dict[str, list[dt.datetime]] = {}
    for row in await connection.fetch(queries.EXTENSIONS, window_id):
        request = extension_of(row)
        if request.new_due_at is not None and request.status.value == "granted":
            granted.setdefault(request.designation_id, []).append(request.new_due_at)
    return granted


async def window_completeness(
    connection: Connection, parts: WindowParts, *, as_of: dt.datetime
) -> Completeness:
    roster = await load_roster(connection, parts.row, parts.reporting_window.reporters)
    extended = await granted_due_times(connection, parts.row["id"])
    entries = {entry.designation_id: entry for entry in roster.entries}
    statuses = {}
    for row in await connection.fetch(queries.REPORT_STATUSES, parts.row["id"]):
        entry = entries.get(row["designation_id"])
        base = entry.due_at if entry is not None else parts.schedule.due_at
        due_at = max([base, *extended.get(row["designation_id"], [])])
        statuses[row["designation_id"]] = ReportStatus(
            first_submitted_at=row["first_submitted_at"],
            state=ReportState(row["state"]),
            due_at=due_at if due_at != base else None,
        )
    return completeness(roster, statuses, as_of=as_of, province_code=parts.programme.jurisdiction)


async def completeness_of(
    pool: Pool, context: Context, window_id: str, *, as_of: dt.datetime
) -> Completeness:
    """The window's counts at ``as_of``; ``NotFound`` for a window not served here."""
    async with pool.acquire() as connection:
        parts = await load_window(connection, context, window_id)
        return await window_completeness(connection, parts, as_of=as_of)
