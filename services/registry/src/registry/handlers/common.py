"""What every use case of the registry shares: the parts a process built once
(``registry.bootstrap``), and the hook a route claims its Idempotency-Key through."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import asyncpg

from registry.domain.regions import RegionTree
from shared.events.envelope import DomainEvent
from shared.messaging.outbox import append_events
from shared.programmes.catalogue import ProgrammeCatalogue
from shared.settings import event_source_of

# The database types as the layers above name them (routes type their hooks with these).
Pool: TypeAlias = asyncpg.Pool
Connection: TypeAlias = asyncpg.Connection
Row: TypeAlias = asyncpg.Record

# Processes pass the deployment's source (settings.event_source); this is for tests and tools.
DEFAULT_EVENT_SOURCE = event_source_of("registry")

# Runs last inside the use case's transaction with the row it wrote: the route claims its
# Idempotency-Key there, so the key is applied in the same commit as the change.
BeforeCommit = Callable[[Connection, Any], Awaitable[None]]


@dataclass(frozen=True)
class Context:
    """The registry's parts, built once per process and handed to every use case."""

    pool: Pool
    regions: RegionTree
    # The live programmes: current revisions, taken without a restart (shared.programmes.catalogue).
    programmes: ProgrammeCatalogue = field(default_factory=ProgrammeCatalogue)
    topic_prefix: str = ""
    event_source: str = DEFAULT_EVENT_SOURCE

    async def publish(self, connection: Connection, events: Sequence[DomainEvent]) -> None:
        """The change's events into the outbox, in its transaction, under this deployment's
        topics and source."""
        await append_events(
            connection, list(events), source=self.event_source, topic_prefix=self.topic_prefix
        )
