"""Access records for reads that show personal data unmasked (contact phone and e-mail).

Callers who may administer a record see its contacts in clear; everyone else sees them masked
(``registry.domain.scope.sees_personal_data``). A read that shows any in clear leaves one
access record: a single record by its id, a list page by its filters and how many records it
showed (001 (二十三); bureaus are accountable for what leaves).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from registry.domain.entities.spec import EntitySpec
from registry.domain.scope import shows_personal_data
from registry.handlers.common import Pool
from shared import audit
from shared.auth import Principal


async def record_personal_reads(
    pool: Pool,
    principal: Principal,
    spec: EntitySpec,
    rows: Sequence[Mapping[str, Any]],
    *,
    filters: Mapping[str, Any] | None = None,
) -> None:
    if not spec.masked_columns:
        return
    shown = [row for row in rows if shows_personal_data(principal, spec, row)]
    if not shown:
        return
    single = filters is None and len(rows) == 1
    await audit.record_access(
        pool,
        actor=audit.Actor.of(principal),
        action=f"{spec.name}.read" if single else f"{spec.name}.listed",
        resource_type=spec.name,
        resource_id=shown[0]["id"] if single else None,
        region_code=shown[0]["region_code"] if single else None,
        details={
            "personal_data": list(spec.masked_columns),
            **({} if single else {"filters": dict(filters or {}), "records_shown": len(shown)}),
        },
    )
