"""Keeps ``demonstration_status`` in step with the awards service's designation events.

Each handler runs in the transaction that records the inbox row. Events of one designation
arrive in order (one key), but a grant and a revocation of the same entity may come from
different designations: the later date wins, and on the same date a revocation wins, so a
redelivered or late older event never undoes a newer state.

A reinstatement (``awards.designation.reinstated``) makes a revoked row designated again when
it is dated on or after the revocation: it follows the revocation on its designation's key, so
on the same day it wins. The original ``designated_on`` is kept (target progress counts the
title from its grant) and the reinstatement's day is kept too: a revocation dated before it
(late, or of another designation of the entity) no longer undoes it, while one dated on or
after it does. A reinstatement at a rectification deadline finds the row designated
(the designation was only warned) and changes nothing. ``awards.designation.warned`` has no
handler: the registry shows only designated or revoked, and a warned designation stays
designated until it is revoked.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from shared.events import EventEnvelope
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
)
from shared.events.envelope import DomainEvent
from shared.messaging.consumer import Handler

TOPICS = ("awards.designation",)

GRANT = """
INSERT INTO demonstration_status AS s (entity_type, entity_id, programme_id, category, region_code,
                                       status, designated_on, revoked_on)
VALUES ($1, $2, $3, $4, $5, 'designated', $6, NULL)
ON CONFLICT (entity_type, entity_id, programme_id, category) DO UPDATE
SET status = 'designated', designated_on = EXCLUDED.designated_on, revoked_on = NULL,
    reinstated_on = NULL, region_code = EXCLUDED.region_code, updated_at = now()
WHERE (s.status = 'designated' AND s.designated_on <= EXCLUDED.designated_on)
   OR (s.status = 'revoked' AND s.revoked_on < EXCLUDED.designated_on)
"""

REVOKE = """
INSERT INTO demonstration_status AS s (entity_type, entity_id, programme_id, category, region_code,
                                       status, designated_on, revoked_on)
VALUES ($1, $2, $3, $4, $5, 'revoked', NULL, $6)
ON CONFLICT (entity_type, entity_id, programme_id, category) DO UPDATE
SET status = 'revoked', revoked_on = EXCLUDED.revoked_on, updated_at = now()
WHERE (s.status = 'designated' AND s.designated_on <= EXCLUDED.revoked_on
       AND (s.reinstated_on IS NULL OR s.reinstated_on <= EXCLUDED.revoked_on))
   OR (s.status = 'revoked' AND s.revoked_on < EXCLUDED.revoked_on)
"""

# A row never seen (the grant came before this consumer listened) is designated from the
# reinstatement's day, the first day the registry knows it held the title.
REINSTATE = """
INSERT INTO demonstration_status AS s (entity_type, entity_id, programme_id, category, region_code,
                                       status, designated_on, revoked_on)
VALUES ($1, $2, $3, $4, $5, 'designated', $6, NULL)
ON CONFLICT (entity_type, entity_id, programme_id, category) DO UPDATE
SET status = 'designated', revoked_on = NULL, reinstated_on = EXCLUDED.designated_on,
    designated_on = coalesce(s.designated_on, EXCLUDED.designated_on),
    region_code = EXCLUDED.region_code, updated_at = now()
WHERE s.status = 'revoked' AND s.revoked_on <= EXCLUDED.designated_on
"""


async def _apply(
    connection: asyncpg.Connection,
    statement: str,
    event: DesignationGranted | DesignationRevoked | DesignationReinstated,
    day: dt.date,
) -> None:
    await connection.execute(
        statement, event.entity_type, event.entity_id, event.programme_id, event.category,
        event.region_code, day,
    )  # fmt: skip


async def on_granted(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    assert isinstance(event, DesignationGranted)
    await _apply(connection, GRANT, event, event.designated_on)


async def on_revoked(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    assert isinstance(event, DesignationRevoked)
    await _apply(connection, REVOKE, event, event.revoked_on)


async def on_reinstated(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    assert isinstance(event, DesignationReinstated)
    await _apply(connection, REINSTATE, event, event.reinstated_on)


def handlers() -> dict[str, Handler]:
    return {
        DesignationGranted.event_type: on_granted,
        DesignationRevoked.event_type: on_revoked,
        DesignationReinstated.event_type: on_reinstated,
    }
