"""Loads checked import rows set-based: one INSERT … SELECT FROM unnest(…) per batch. Rows
already present are skipped (the same file twice loads nothing new); the loaded records' events
and history rows are written in bulk in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from registry.bulk.columns import ImportKind
from registry.bulk.validation import RowError
from registry.db import import_queries as sql
from registry.entities.definitions import ENTERPRISE, STORE
from registry.entities.handlers import EVENT_SOURCE
from shared.db.pool import json_dumps
from shared.events import registry as events
from shared.events.envelope import DomainEvent
from shared.messaging.outbox import append_events

Batch = list[tuple[int, dict[str, Any]]]


class BatchLoader:
    """Loads one kind's checked records, batch by batch, on one connection (one transaction)."""

    def __init__(
        self,
        connection: asyncpg.Connection,
        *,
        kind: ImportKind,
        actor: str,
        job_id: uuid.UUID,
        topic_prefix: str,
        may_write: Callable[[str], bool],
    ) -> None:
        self.connection, self.kind, self.actor, self.job_id = connection, kind, actor, job_id
        self.topic_prefix, self.may_write = topic_prefix, may_write

    async def load(self, batch: Batch) -> tuple[int, int, list[RowError]]:
        """Returns (rows loaded, rows skipped as already present, rows refused by the database
        checks: references that do not exist or lie outside the caller's regions)."""
        if not batch:
            return 0, 0, []
        if self.kind is ImportKind.enterprises:
            return await self._enterprises(batch)
        if self.kind is ImportKind.stores:
            return await self._stores(batch)
        return await self._residents(batch)

    async def _publish(
        self, entity_type: str, emitted: Sequence[DomainEvent], rows: Sequence[asyncpg.Record]
    ) -> None:
        await append_events(
            self.connection, emitted, source=EVENT_SOURCE, topic_prefix=self.topic_prefix
        )
        job = str(self.job_id)
        await self.connection.execute(
            sql.INSERT_HISTORY,
            entity_type,
            self.actor,
            [row["id"] for row in rows],
            [json_dumps({**dict(row), "import_job": job}) for row in rows],
        )

    async def _enterprise_ids(self, codes: set[str]) -> dict[str, uuid.UUID]:
        rows = await self.connection.fetch(sql.ENTERPRISE_IDS, list(codes))
        return {row["credit_code"]: row["id"] for row in rows}

    async def _enterprises(self, batch: Batch) -> tuple[int, int, list[RowError]]:
        rows = [r for _, r in batch]
        inserted = await self.connection.fetch(
            sql.INSERT_ENTERPRISES,
            [uuid.uuid4() for _ in rows],
            [r["credit_code"] for r in rows],
            [r["name"] for r in rows],
            [r["region_code"] for r in rows],
            [",".join(r["kinds"]) for r in rows],
            [r["contact_phone"] for r in rows],
            [r["contact_email"] for r in rows],
            self.actor,
        )
        emitted = [ENTERPRISE.registered(r, self.actor) for r in inserted]
        await self._publish("enterprise", emitted, inserted)
        return len(inserted), len(rows) - len(inserted), []

    async def _stores(self, batch: Batch) -> tuple[int, int, list[RowError]]:
        wanted = {r["owner_credit_code"] for _, r in batch if r["owner_credit_code"]}
        owners = await self._enterprise_ids(wanted) if wanted else {}
        errors, rows = [], []
        for number, record in batch:
            code = record["owner_credit_code"]
            if code and code not in owners:
                errors.append(
                    RowError(
                        number, "所属企业统一社会信用代码", f"no enterprise with credit code {code}"
                    )
                )
            else:
                rows.append(record)
        inserted = await self.connection.fetch(
            sql.INSERT_STORES,
            [uuid.uuid4() for _ in rows],
            [r["platform"] for r in rows],
            [r["platform_shop_id"] for r in rows],
            [r["name"] for r in rows],
            [owners.get(r["owner_credit_code"]) for r in rows],
            [r["owner_individual"] for r in rows],
            [r["region_code"] for r in rows],
            [r["category"] for r in rows],
            [r["opened_on"] for r in rows],
            [r["closed_on"] for r in rows],
            self.actor,
        )
        emitted = [STORE.registered(r, self.actor) for r in inserted]
        await self._publish("store", emitted, inserted)
        return len(inserted), len(rows) - len(inserted), errors

    async def _residents(self, batch: Batch) -> tuple[int, int, list[RowError]]:
        enterprises = await self._enterprise_ids({r["credit_code"] for _, r in batch})
        park_ids = list({uuid.UUID(r["park_id"]) for _, r in batch})
        parks = {
            row["id"]: row["region_code"]
            for row in await self.connection.fetch(sql.PARK_REGIONS, park_ids)
        }
        errors: list[RowError] = []
        rows: list[dict[str, Any]] = []
        for number, record in batch:
            park_id = uuid.UUID(record["park_id"])
            if park_id not in parks or not self.may_write(parks[park_id]):
                errors.append(RowError(number, "园区/基地ID", f"no park {park_id} you may write"))
            elif record["credit_code"] not in enterprises:
                errors.append(
                    RowError(
                        number,
                        "统一社会信用代码",
                        f"no enterprise with credit code {record['credit_code']}",
                    )
                )
            else:
                rows.append(
                    {**record, "park": park_id, "enterprise": enterprises[record["credit_code"]]}
                )
        inserted = await self.connection.fetch(
            sql.INSERT_RESIDENTS,
            [uuid.uuid4() for _ in rows],
            [r["park"] for r in rows],
            [r["enterprise"] for r in rows],
            [r["joined_on"] for r in rows],
            [r["left_on"] for r in rows],
            self.actor,
        )
        emitted: list[DomainEvent] = []
        for r in inserted:
            ids = {
                "park_id": str(r["park_id"]),
                "residence_id": str(r["id"]),
                "enterprise_id": str(r["enterprise_id"]),
            }
            emitted.append(events.ResidentJoined(**ids, joined_on=r["joined_on"]))
            if r["left_on"]:
                emitted.append(events.ResidentLeft(**ids, left_on=r["left_on"]))
        await self._publish("park_resident", emitted, inserted)
        return len(inserted), len(rows) - len(inserted), errors
