"""Programme revisions as every service keeps them: the newest revision of each programme in the
service's ``programme_definitions`` table (shared migration 0004), where its catalogue
(``shared.programmes.catalogue``) reads it.

The registry publishes each revision as ``registry.programme.revised`` with the whole validated
programme; a service's consumer subscribes to :data:`TOPICS` with :func:`handlers`. Applying is
idempotent and ordered by revision number: an older or repeated revision changes nothing, so a
redelivery or a late event never takes a programme back.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.events.programmes import ProgrammeRevised
from shared.messaging.consumer import Handler, handler_of
from shared.messaging.failures import PoisonMessage
from shared.programmes.loader import InvalidProgramme, validate_programme

TOPICS = (ProgrammeRevised.topic,)

# Newer revisions only: the WHERE of the update keeps a newer row when an older event arrives.
UPSERT_DEFINITION = """
INSERT INTO programme_definitions AS d (programme_id, revision, definition, applied_at)
VALUES ($1, $2, $3, now())
ON CONFLICT (programme_id) DO UPDATE
SET revision = EXCLUDED.revision, definition = EXCLUDED.definition, applied_at = now()
WHERE d.revision < EXCLUDED.revision
RETURNING revision
"""
# The catalogue's refresh: the revision numbers first (small), then only the definitions that
# are newer than the process holds.
DEFINITION_REVISIONS = "SELECT programme_id, revision FROM programme_definitions"
DEFINITIONS_OF = """
SELECT programme_id, revision, definition FROM programme_definitions
WHERE programme_id = ANY($1::text[])
"""


async def store_definition(
    connection: asyncpg.Connection, programme_id: str, revision: int, definition: dict[str, Any]
) -> bool:
    """Keep ``definition`` as the programme's revision ``revision`` unless a newer (or the
    same) one is kept already; whether it was kept."""
    kept = await connection.fetchval(UPSERT_DEFINITION, programme_id, revision, definition)
    return kept is not None


async def apply_revision(connection: asyncpg.Connection, event: ProgrammeRevised) -> bool:
    """A published revision, checked with this service's programme model before it is kept:
    one that this version cannot read is dead-lettered with the reason (replay it once the
    service understands it), never kept half-understood."""
    try:
        programme = validate_programme(event.definition)
    except InvalidProgramme as exc:
        reason = f"programme {event.programme_id} revision {event.revision}: {exc}"
        raise PoisonMessage(reason) from exc
    if programme.id != event.programme_id:
        raise PoisonMessage(
            f"revision {event.revision} of {event.programme_id} defines programme {programme.id}"
        )
    return await store_definition(
        connection, event.programme_id, event.revision, programme.model_dump(mode="json")
    )


def handlers() -> dict[str, Handler]:
    """The consumer's handler of programme revisions, by event type (``shared.messaging``)."""
    return {ProgrammeRevised.event_type: handler_of(ProgrammeRevised, apply_revision)}
