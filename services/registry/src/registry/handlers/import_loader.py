"""Loads checked import rows set-based: one INSERT … SELECT FROM unnest(…) per batch. Rows
already present are skipped (the same file twice loads nothing new); the loaded records' events
and history rows are written in bulk in the same transaction.

A batch's arguments that need no database (ids, outbox lanes, event ids, the column arrays) are
computed by ``BatchLoader.arrays`` in the thread that reads and checks the file, while the
previous batch loads: on the event loop they held up every statement (a third of its time per
row went to making UUIDv7s alone), and the database waits for the loop between statements."""

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
# The load statement's leading arguments: ids, outbox lanes, event ids, then one array per column.
Arrays = list[list[Any]]


def _arrays(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> Arrays:
    # Time-ordered (UUIDv7) ids: a batch's index entries land together instead of on
    # random pages of the primary-key and event-id indexes.
    ids = [uuid7() for _ in rows]
    return [
        ids,
        [lane_of(str(i)) for i in ids],
        [uuid7() for _ in rows],
        *([row[name] for row in rows] for name in names),
    ]


def _enterprise_rows(batch: Batch) -> list[dict[str, Any]]:
    return [{**r, "kinds": ",".join(r["kinds"])} for _, r in batch]


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

    def arrays(self, batch: Batch) -> Arrays | None:
        """The batch's load arguments when they need nothing from the database (pure CPU, safe
        in a thread; pass them to ``load``); None when ``load`` must look something up first
        (stores naming an owner by credit code, park residents)."""
        if not batch:
            return None
        if self.kind is ImportKind.enterprises:
            return _arrays(_enterprise_rows(batch), sql.ENTERPRISE_ARRAYS)
        if self.kind is ImportKind.stores and not any(r["owner_credit_code"] for _, r in batch):
            rows = [{**r, "owner_enterprise_id": None} for _, r in batch]
            return _arrays(rows, sql.STORE_ARRAYS)
        return None

    async def load(
        self, batch: Batch, arrays: Arrays | None = None
    ) -> tuple[int, int, list[RowError]]:
        """Returns (rows loaded, rows skipped as already present, rows refused by the database
        checks: references that do not exist or lie outside the caller's regions).

        ``arrays``: the batch's ``arrays(batch)``, if already computed."""
        if not batch:
            return 0, 0, []
        if self.kind is ImportKind.enterprises:
            return await self._enterprises(batch, arrays)
        if self.kind is ImportKind.stores:
            if arrays is not None:
                loaded = await self._load_with_events(
                    sql.LOAD_STORES, "store", events.StoreRegistered, arrays
                )
                return loaded, len(batch) - loaded, []
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
        self, statement: str, entity: str, event: type[DomainEvent], arrays: Arrays
    ) -> int:
        """Rows, their events and history in one statement (``import_queries.load_batch``)."""
        trace = current_trace_headers()
        loaded: int = await self.connection.fetchval(
            statement,
            *arrays,
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

    async def _enterprises(
        self, batch: Batch, arrays: Arrays | None
    ) -> tuple[int, int, list[RowError]]:
        if arrays is None:
            arrays = _arrays(_enterprise_rows(batch), sql.ENTERPRISE_ARRAYS)
        loaded = await self._load_with_events(
            sql.LOAD_ENTERPRISES, "enterprise", events.EnterpriseRegistered, arrays
        )
        return loaded, len(batch) - loaded, []

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
            sql.LOAD_STORES, "store", events.StoreRegistered, _arrays(rows, sql.STORE_ARRAYS)
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
