"""Opening a window (freezing its roster), locking it, and reopening it for one reporter."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared import audit
from shared.china_time import CHINA
from shared.db.rows import from_row
from shared.events.submissions import WindowLocked, WindowOpened, WindowReopened
from shared.i18n import china_time, t
from shared.programmes import Programme
from submissions.db import queries
from submissions.db.repository import insert_roster_entries
from submissions.domain.actors import Actor
from submissions.domain.errors import Refused
from submissions.domain.locks import reopen_for
from submissions.domain.roster import Designation, freeze_roster
from submissions.domain.windows import window_id_of, year_refusal
from submissions.handlers.common import (
    CLOCK_PROCESS,
    BeforeCommit,
    Context,
    NotFound,
    Pool,
    Row,
    Scope,
    audit_actor,
    find_window,
    load_window,
    publish_and_claim,
)
from submissions.handlers.completeness import window_completeness

CLOCK_ACTOR = "clock"


class AlreadyOpen(Exception):
    def __init__(self, row: Row) -> None:
        super().__init__(f"window {row['id']} is already open")
        self.row = row


def _designation(row: Row) -> Designation:
    return from_row(Designation, row, granted_on=row["designated_on"])


async def windows_page(
    pool: Pool, *, after: dt.datetime | None, after_id: str | None, count: int
) -> list[Row]:
    """``count`` windows, newest first, after the window (``after``, ``after_id``)."""
    return list(await pool.fetch(queries.WINDOWS_PAGE, after, after_id, count))


@dataclass(frozen=True)
class RosterPage:
    entries: list[Row]
    changes: dict[str, list[Row]]  # per designation id of the page's entries


async def roster_page(
    pool: Pool,
    context: Context,
    window_id: str,
    *,
    after: str | None,
    count: int,
    page_size: int,
    scope: Scope,
) -> RosterPage:
    """``count`` roster entries the caller may see, by designation id after ``after``, with
    every change to the first ``page_size`` of them."""
    await find_window(pool, context, window_id)
    entries = list(
        await pool.fetch(queries.ROSTER_ENTRIES_PAGE, window_id, after, count, *scope.arguments())
    )
    changes: dict[str, list[Row]] = {e["designation_id"]: [] for e in entries[:page_size]}
    for change in await pool.fetch(queries.ROSTER_CHANGES_OF, window_id, list(changes)):
        changes[change["designation_id"]].append(change)
    return RosterPage(entries, changes)


async def open_window(
    pool: Pool,
    context: Context,
    *,
    programme_id: str,
    window_slug: str,
    year: int,
    opened_by: str,
    now: dt.datetime,
    auditor: audit.Actor = CLOCK_PROCESS,
    before_commit: BeforeCommit | None = None,
) -> Row:
    """Open the window and freeze its roster from the designations in force now. The province
    may open it before the programme file's ``opens`` (it then opens now); nobody after its lock.
    A year past the programme period is opened only when it is owed (``year_refusal``: in its
    own year, and for an open-ended window while a designation of its categories is in force).
    Raises ``AlreadyOpen`` with the existing row when it is open already."""
    programme = context.programmes.get(programme_id)
    if programme is None:
        raise Refused(
            "unknown_programme",
            t(f"无此规划：{programme_id}", f"no programme {programme_id!r}"),
            field="programme_id",
        )
    try:
        reporting_window = programme.reporting_window(window_slug)
        schedule = reporting_window.schedule(year)
    except KeyError as exc:
        field = "year" if isinstance(exc.args[0], int) else "window"
        raise Refused(
            "unknown_window",
            t(
                f"规划 {programme_id} 在{year}年没有填报窗口 {window_slug}",
                f"{programme_id} has no window {window_slug} in {year}",
            ),
            field=field,
        ) from exc
    if now >= schedule.locks_at:
        locks = china_time(schedule.locks_at)
        raise Refused(
            "locked",
            t(
                f"{year}年度填报窗口已于{locks.zh}锁定",
                f"the {year} window locked at {locks.en}",
            ),
            field="year",
        )
    schedule = dataclasses.replace(schedule, opens_at=min(schedule.opens_at, now))
    window_id = window_id_of(programme_id, window_slug, year)
    async with pool.acquire() as connection, connection.transaction():
        in_force = await connection.fetch(
            queries.DESIGNATIONS_IN_FORCE, programme_id, list(reporting_window.reporters)
        )
        refusal = year_refusal(
            reporting_window,
            year,
            period_end=programme.period.end,
            current_year=now.astimezone(CHINA).year,
            designations_in_force=bool(in_force),
        )
        if refusal is not None:
            raise refusal
        row = await connection.fetchrow(
            queries.INSERT_WINDOW,
            window_id,
            programme_id,
            window_slug,
            year,
            schedule.opens_at,
            schedule.due_at,
            schedule.grace_until,
            schedule.locks_at,
            now,
            opened_by,
        )
        if row is None:
            existing = await connection.fetchrow(queries.WINDOW, window_id)
            raise AlreadyOpen(existing)
        roster = freeze_roster(
            schedule,
            categories=reporting_window.reporters,
            designations_in_force=[_designation(d) for d in in_force],
        )
        places = {d["designation_id"]: (d["entity_type"], d["region_code"]) for d in in_force}
        await insert_roster_entries(connection, window_id, list(roster.entries), places)
        await connection.execute(
            queries.INSERT_ROSTER_CHANGES,
            window_id,
            [c.designation_id for c in roster.changes],
            [c.kind.value for c in roster.changes],
            [c.at for c in roster.changes],
            [c.due_at for c in roster.changes],
            [c.reason for c in roster.changes],
        )
        event = WindowOpened(
            window_id=window_id,
            programme_id=programme_id,
            window=window_slug,
            year=year,
            opens_at=schedule.opens_at,
            due_at=schedule.due_at,
            grace_until=schedule.grace_until,
            locks_at=schedule.locks_at,
            expected=len(roster.entries),
            opened_by=opened_by,
        )
        await publish_and_claim(
            connection, context, [event], before_commit=before_commit, result=row
        )
        await audit.record_change_by(
            connection,
            auditor,
            "window.opened",
            audit.Resource("reporting_window", window_id, programme.jurisdiction),
            after=dict(row),
            details={"expected": len(roster.entries)},
        )
    return row


async def lock_window(pool: Pool, context: Context, *, window_id: str, now: dt.datetime) -> bool:
    """Mark the window locked (the clock, at ``locks_at``); True only for the call that did."""
    async with pool.acquire() as connection, connection.transaction():
        parts = await load_window(connection, context, window_id, for_update=True)
        row = await connection.fetchrow(queries.LOCK_WINDOW, window_id, now)
        if row is None:
            return False
        counts = await window_completeness(connection, parts, as_of=now)
        event = WindowLocked(
            window_id=window_id,
            locked_at=now,
            expected=counts.province.expected,
            missing=counts.province.missing,
        )
        await context.publish(connection, [event])
        await audit.record_change_by(
            connection,
            CLOCK_PROCESS,
            "window.locked",
            audit.Resource("reporting_window", window_id, parts.programme.jurisdiction),
            after={"status": "locked", "locked_at": now},
        )
    return True


async def reopen_window(
    pool: Pool,
    context: Context,
    *,
    window_id: str,
    designation_id: str,
    authorize: Callable[[Mapping[str, Any], Programme], Actor],
    ends_at: dt.datetime,
    reason: str | None,
    now: dt.datetime,
    before_commit: BeforeCommit | None = None,
) -> Row:
    """A lock exception for one named reporter, which expires by itself at ``ends_at``.
    ``authorize`` sees the reporter's roster entry and the window's programme, and answers the
    acting ``Actor`` or raises; ``NotFound`` for an unknown window or a reporter not on it."""
    async with pool.acquire() as connection, connection.transaction():
        parts = await load_window(connection, context, window_id, for_update=True)
        entry = await connection.fetchrow(queries.ROSTER_ENTRY, window_id, designation_id)
        if entry is None:
            raise NotFound("reporter on the roster", designation_id)
        actor = authorize(entry, parts.programme)
        exception = reopen_for(
            designation_id=designation_id, actor=actor, at=now, ends_at=ends_at, reason=reason
        )
        row = await connection.fetchrow(
            queries.INSERT_LOCK_EXCEPTION,
            uuid.uuid4(),
            window_id,
            designation_id,
            actor.id,
            exception.reason,
            exception.starts_at,
            exception.ends_at,
        )
        event = WindowReopened(
            window_id=window_id,
            designation_id=designation_id,
            reason=exception.reason,
            ends_at=exception.ends_at,
            reopened_by=actor.id,
        )
        await publish_and_claim(
            connection, context, [event], before_commit=before_commit, result=row
        )
        await audit.record_change_by(
            connection,
            audit_actor(actor),
            "window.reopened",
            audit.Resource("reporting_window", window_id),
            reason=exception.reason,
            after=dict(row),
        )
    return row
