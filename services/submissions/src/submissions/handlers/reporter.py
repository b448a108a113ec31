"""A reporter on a window's roster as its caller may act for it: the submission context's row
(the window, the roster entry, extensions and lock exceptions), the acting ``Actor``, and
whether the window takes its report now (``domain.locks``). Read by the submission, the drafts
and the attachments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.db.rows import from_row
from submissions.db import queries
from submissions.domain.actors import Actor, Role
from submissions.domain.deadlines import ReporterDeadlines, reporter_deadlines
from submissions.domain.errors import Refused
from submissions.domain.locks import LockException, submission_refusal
from submissions.domain.review import ReportState
from submissions.domain.roster import RosterEntry
from submissions.handlers.common import (
    Connection,
    Context,
    NotFound,
    Row,
    WindowParts,
    window_parts,
)

WINDOW_COLUMNS = (
    "id",
    "programme_id",
    "window_slug",
    "year",
    "status",
    "opens_at",
    "due_at",
    "grace_until",
    "locks_at",
    "opened_at",
    "opened_by",
    "locked_at",
)
Authorize = Callable[[Mapping[str, Any]], Actor]


def roster_entry_of(row: Mapping[str, Any]) -> RosterEntry:
    # The report's query names two of the entry's columns apart from the report's own.
    return from_row(
        RosterEntry, row, designation_id=row["entry_designation_id"], due_at=row["entry_due_at"]
    )


def lock_exceptions_of(row: Mapping[str, Any], designation_id: str) -> list[LockException]:
    def instant(epoch: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(epoch, dt.UTC)

    return [
        LockException(
            designation_id,
            Actor(e["granted_by"], Role.province),
            e["reason"],
            instant(e["starts_at"]),
            instant(e["ends_at"]),
        )
        for e in row["exceptions"]
    ]


@dataclass(frozen=True)
class Reporter:
    """A reporter on a window's roster, as its caller may act for it (``reporter_on_roster``)."""

    found: Row
    actor: Actor
    parts: WindowParts
    entry: RosterEntry

    def refuse_unless_taken(
        self, designation_id: str, *, state: ReportState, has_submitted: bool, now: dt.datetime
    ) -> ReporterDeadlines:
        """``Refused`` with the reason when the window does not take this reporter's report;
        else the reporter's deadlines it was judged by (its own due time, extensions)."""
        deadlines = reporter_deadlines(
            self.parts.schedule, due_at=max([self.entry.due_at, *self.found["extended"]])
        )
        refusal = submission_refusal(
            schedule=self.parts.schedule,
            entry=self.entry,
            deadlines=deadlines,
            state=state,
            has_submitted=has_submitted,
            now=now,
            exceptions=lock_exceptions_of(self.found, designation_id),
        )
        if refusal is not None:
            raise Refused(refusal.reason.value, refusal.message)
        return deadlines


async def reporter_on_roster(
    connection: Connection,
    context: Context,
    window_id: str,
    designation_id: str,
    authorize: Authorize,
) -> Reporter:
    """The window (its context row), the roster entry and the acting ``Actor``; ``NotFound``
    for an unknown window or a reporter not on its roster; ``authorize`` raises for others."""
    found = await connection.fetchrow(queries.SUBMISSION_CONTEXT, window_id, designation_id)
    if found is None or found["programme_id"] not in context.programmes:
        raise NotFound("window", window_id)
    if found["entry_designation_id"] is None:
        raise NotFound("reporter on the roster", designation_id)
    actor = authorize(found)
    parts = window_parts(context, {name: found[name] for name in WINDOW_COLUMNS})
    return Reporter(found, actor, parts, roster_entry_of(found))
