"""Programme revisions, published by the registry (docs/programmes.md, "Revisions").

Each event carries the whole validated programme, so a service applies it without asking the
registry (``shared.programmes.revisions``); the topic is keyed by programme id, so one
programme's revisions arrive in order. Revision numbers only grow: a consumer keeps the
highest it has seen.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from shared.events.envelope import DomainEvent


class ProgrammeRevised(DomainEvent):
    event_type = "registry.programme.revised"
    topic = "registry.programme"
    aggregate_field = "programme_id"
    summary = (
        "A programme has a new revision (a province's change through the registry API, or a "
        "changed programme file at deploy): the whole programme as it now stands."
    )

    programme_id: str
    revision: int = Field(ge=1, description="1 for the shipped file, then one more per change")
    definition: dict[str, Any] = Field(
        description="The whole programme, validated by the model of the programme files "
        "(docs/programmes.md), as `GET /v1/programmes/{id}` answers it"
    )
    source: Literal["file", "api"] = Field(
        description="`file`: a programme file at deploy; `api`: a revision through the API"
    )
    author: str = Field(description="Who revised it (the token's subject; `deploy` for a file)")
    reason: str = Field(description="Why, as the author wrote it")
    revised_at: dt.datetime


PROGRAMME_EVENTS: tuple[type[DomainEvent], ...] = (ProgrammeRevised,)
