"""Keeps ``demonstration_status`` in step with the awards service's designation events, each in
the transaction that records the consumer's inbox row.

Events of one designation arrive in order (one key), but a grant and a revocation of the same
entity may come from different designations: the later date wins, and on the same date a
revocation wins, so a redelivered or late older event never undoes a newer state.

A reinstatement (``awards.designation.reinstated``) makes a revoked row designated again when
it is dated on or after the revocation: it follows the revocation on its designation's key, so
on the same day it wins. The original ``designated_on`` is kept (target progress counts the
title from its grant) and the reinstatement's day is kept too: a revocation dated before it
(late, or of another designation of the entity) no longer undoes it, while one dated on or
after it does. A reinstatement at a rectification deadline finds the row designated
(the designation was only warned) and changes nothing. ``awards.designation.warned`` changes
nothing here: the registry shows only designated or revoked, and a warned designation stays
designated until it is revoked.

Every applied event is also kept in ``demonstration_events``: target progress for a past year
counts the designations in force at that year's end from it, not today's status.
"""

from __future__ import annotations

import datetime as dt

from registry.db import queries
from registry.handlers.common import Connection
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
)


async def _apply(
    connection: Connection,
    statement: str,
    event: DesignationGranted | DesignationRevoked | DesignationReinstated,
    day: dt.date,
    kind: str,
) -> None:
    """The current status, and the event in the history (whether or not it changed the
    status: the history orders the events by their dates, ``registry.db.targets``)."""
    keys = (
        event.entity_type, event.entity_id, event.programme_id, event.category,
        event.region_code, day,
    )  # fmt: skip
    await connection.execute(statement, *keys)
    await connection.execute(queries.RECORD_DESIGNATION_EVENT, *keys, kind, event.designation_id)


async def granted(connection: Connection, event: DesignationGranted) -> None:
    await _apply(connection, queries.GRANT, event, event.designated_on, "granted")


async def revoked(connection: Connection, event: DesignationRevoked) -> None:
    await _apply(connection, queries.REVOKE, event, event.revoked_on, "revoked")


async def reinstated(connection: Connection, event: DesignationReinstated) -> None:
    await _apply(connection, queries.REINSTATE, event, event.reinstated_on, "reinstated")
