"""Loads checked import rows set-based: one INSERT … SELECT FROM unnest(…) per batch. Rows
already present are skipped (the same file twice loads nothing new); the loaded records' events
and history rows are written in bulk in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from uuid_utils.compat import uuid7

from registry.db import import_queries as sql
from registry.domain.imports.columns import ImportKind
from registry.domain.imports.validation import RowError
from registry.handlers.common import Connection, Row
from shared.db.pool import json_dumps
from shared.events import registry as events
from shared.events.envelope import DomainEvent
from shared.messaging.outbox import append_events, lane_of
from shared.telemetry import current_trace_headers

Batch = list[tuple[int, dict[str, Any]]]


class BatchLoader:
    """Loads one kind's checked records, batch by batch, on one connection (one transaction)."""

    def __init__(
        self,
        connection: Connection,
        *,
        kind: ImportKind,
        actor: str,
        job_id: uuid.UUID,
        topic_prefix: str,
        event_source: str,
        may_write: Callable[[str], bool],
    ) -> None:
        self.connection, self.kind, self.actor, self.job_id = connection, kind, actor, job_id
        self.topic_prefix, self.may_write = topic_prefix, may_write
        self.event_source = event_source

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
        self, entity_type: str, emitted: Sequence[DomainEvent], rows: Sequence[Row]
    ) -> None:
        await append_events(
            self.connection, emitted, source=self.event_source, topic_prefix=self.topic_prefix
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

    async def _load_with_events(
        self, statement: str, arrays: list[str], entity: str, event: type[DomainEvent],
        rows: list[dict[str, Any]],
    ) -> int:  # fmt: skip
        """Rows, their events and history in one statement (``import_queries.load_batch``)."""
        # Time-ordered (UUIDv7) ids: a batch's index entries land together instead of on
        # random pages of the primary-key and event-id indexes.
        ids = [uuid7() for _ in rows]
        trace = current_trace_headers()
        loaded: int = await self.connection.fetchval(
            statement,
            ids,
            [lane_of(str(i)) for i in ids],
            [uuid7() for _ in rows],
            *([row[name] for row in rows] for name in arrays),
            self.actor,
            self.event_source,
            f"{self.topic_prefix}{event.topic}",
            event.cloudevents_type(),
            trace.get("traceparent"),
            trace.get("tracestate"),
            entity,
            str(self.job_id),
        )
        return loaded

    async def _enterprises(self, batch: Batch) -> tuple[int, int, list[RowError]]:
        rows = [{**r, "kinds": ",".join(r["kinds"])} for _, r in batch]
        loaded = await self._load_with_events(
            sql.LOAD_ENTERPRISES, sql.ENTERPRISE_ARRAYS, "enterprise",
            events.EnterpriseRegistered, rows,
        )  # fmt: skip
        return loaded, len(rows) - loaded, []

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
                rows.append({**record, "owner_enterprise_id": owners.get(code) if code else None})
        loaded = await self._load_with_events(
            sql.LOAD_STORES, sql.STORE_ARRAYS, "store", events.StoreRegistered, rows
        )
        return loaded, len(rows) - loaded, errors

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
