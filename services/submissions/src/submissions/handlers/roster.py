"""Designation events change the designations read model and every open window's roster.

004_9c19d9a85d8c1f73.txt 三(三) 动态管理: a designation revoked while a window runs stops being
expected from that moment; one granted is added with its own due time; one the province
reinstates is expected again from that moment, like a late grant (``domain.roster``).
Runs in the consumer's transaction, with the inbox row (redelivery changes nothing).
"""

from __future__ import annotations

import datetime as dt

from shared import audit
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
)
from submissions.db import queries
from submissions.db.repository import load_roster, save_roster_changes
from submissions.domain.roster import Designation, add_granted, reinstate, remove_revoked
from submissions.handlers.common import CONSUMER_PROCESS, Connection, Context, window_parts


async def apply_designation_event(
    connection: Connection,
    context: Context,
    event: DesignationGranted | DesignationRevoked | DesignationReinstated,
    *,
    at: dt.datetime,
) -> int:
    """Returns how many roster changes were written (for tests and logs)."""
    common = (
        event.designation_id, event.programme_id, event.category, event.entity_type,
        event.entity_id, event.region_code,
    )  # fmt: skip
    if isinstance(event, DesignationGranted):
        applied = await connection.fetchval(queries.UPSERT_GRANTED, *common, event.designated_on)
    elif isinstance(event, DesignationReinstated):
        applied = await connection.fetchval(queries.UPSERT_REINSTATED, *common, event.reinstated_on)
    else:
        applied = await connection.fetchval(
            queries.UPSERT_REVOKED, *common, event.revoked_on, event.reason
        )
    if applied is None:  # older than what is known: nothing changes
        return 0
    written = 0
    for row in await connection.fetch(queries.OPEN_WINDOWS_OF_PROGRAMME, event.programme_id):
        if row["programme_id"] not in context.programmes:
            continue
        parts = window_parts(context, row)
        before = await load_roster(connection, row, parts.reporting_window.reporters)
        if isinstance(event, DesignationGranted):
            designation = Designation(
                designation_id=event.designation_id,
                entity_id=event.entity_id,
                category=event.category,
                region_code=event.region_code,
                granted_on=event.designated_on,
            )
            after = add_granted(before, designation, at=at, schedule=parts.schedule)
        elif isinstance(event, DesignationReinstated):
            designation = Designation(
                designation_id=event.designation_id,
                entity_id=event.entity_id,
                category=event.category,
                region_code=event.region_code,
                granted_on=event.reinstated_on,  # due as if granted that day
            )
            after = reinstate(
                before, designation, at=at, schedule=parts.schedule, reason=event.reason
            )
        else:
            after = remove_revoked(before, event.designation_id, at=at, reason=event.reason)
        changes = await save_roster_changes(
            connection,
            window_id=row["id"],
            before=before,
            after=after,
            region_codes={event.designation_id: (event.entity_type, event.region_code)},
        )
        for change in changes:
            await audit.record_change_by(
                connection,
                CONSUMER_PROCESS,
                f"roster.{change.kind.value}",
                audit.Resource("reporting_window", row["id"], event.region_code),
                reason=change.reason,
                details={
                    "designation_id": change.designation_id,
                    "at": change.at,
                    "due_at": change.due_at,
                    "event": event.event_type,
                },
            )
        written += len(changes)
    return written
