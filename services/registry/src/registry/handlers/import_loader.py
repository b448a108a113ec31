"""Loads checked import rows set-based: one INSERT … SELECT FROM unnest(…) per batch. Rows
already present are skipped (the same file twice loads nothing new); the loaded records' events
and history rows are then copied in (binary ``COPY``) in the same transaction.

A batch's load arguments that need no database (ids, the column arrays, and every row's outbox
event and history row, encoded for ``COPY``) are computed by ``BatchLoader.prepare`` in the
thread that reads and checks the file, while the previous batch loads: on the event loop they
held up every statement, and the database waits for the loop between statements. Only the
rows the insert returns (the ones it inserted) have their events and history copied.

Why ``COPY`` for events and history: inserting them with the stores in one statement cost the
database about as much per row as the stores themselves; copied, the history rows go in
several to a page write (multi-insert) and both tables through ``COPY``'s small buffer ring
instead of evicting the stores' indexes from shared buffers.

The envelopes are the bytes ``append_events`` writes for the same event (``wrap``, then
``model_dump_json(exclude_none=True)``), written without pydantic's per-row round trip
(validate the event, dump it, validate the envelope, dump it: most of a row's cost
here). The rows are the validation's output (text, dates, None by construction), so each row's
values are serialised once by ``pydantic_core.to_json`` (the serialiser ``model_dump_json``
runs: the same escapes, the same dates and times) and placed between the envelope's constant
members, serialised once per batch; the history row reuses the same serialised values. The
models' member lists are checked at import, the bytes by the tests against
``model_dump_json``."""

from __future__ import annotations

import datetime as dt
import functools
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_json
from uuid_utils import uuid7

from registry.db import import_queries as sql
from registry.domain.imports.columns import ImportKind
from registry.domain.imports.validation import RowError
from registry.handlers.common import Connection, Row
from registry.handlers.import_copy import (
    LENGTH,
    UUID_LENGTH,
    CopyRows,
    field_text,
)
from shared.db.pool import json_dumps
from shared.events import registry as events
from shared.events.envelope import DomainEvent, EventEnvelope
from shared.messaging.outbox import OUTBOX_LANES, append_events, lane_of
from shared.telemetry import current_trace_headers

Batch = list[tuple[int, dict[str, Any]]]

_LANES = [LENGTH(2) + struct.pack("!h", lane) for lane in range(OUTBOX_LANES)]
_OUTBOX_ROW = struct.pack("!h", len(sql.OUTBOX_COLUMNS))
_HISTORY_ROW = struct.pack("!h", len(sql.HISTORY_COLUMNS))
_VERSION_1 = LENGTH(4) + struct.pack("!i", 1)
_JSONB_VERSION = b"\x01"
_KEY = LENGTH(36)  # a UUID's text


# An envelope's members in ``EventEnvelope``'s order (``model_dump_json`` writes them so):
# checked here, so that a change to the model fails at import instead of writing other bytes.
_ENVELOPE_MEMBERS = (
    "specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data",
    "traceparent", "tracestate",
)  # fmt: skip
if tuple(EventEnvelope.model_fields) != _ENVELOPE_MEMBERS:
    raise RuntimeError("EventEnvelope's members changed: update the import's envelope writer")
_SPECVERSION = EventEnvelope.model_fields["specversion"].default
_CONTENT_TYPE = EventEnvelope.model_fields["datacontenttype"].default
# The clock events are stamped with (``wrap``'s: the host's, in UTC).
_clock = functools.partial(dt.datetime.now, dt.UTC)


@dataclass
class Prepared:
    """A batch's load arguments: the new records' ids, one array per column of the load
    statement, and per record its outbox row and history row in binary ``COPY`` format."""

    ids: list[str]
    arrays: list[list[Any]]
    events: CopyRows
    history: CopyRows


def _member(name: str, value: Any) -> bytes:
    """``"name":value``, as ``pydantic_core.to_json`` writes an object's member."""
    return to_json(name) + b":" + to_json(value)


def _members(values: dict[str, Any]) -> bytes:
    """An object's members, without its braces (``to_json`` writes them in the dict's order)."""
    return to_json(values)[1:-1]


@dataclass(frozen=True)
class _Kind:
    """How one kind of record is loaded: its statement and arrays, its ``…registered`` event
    and its history row.

    The event's ``data`` members are, in the model's field order: the aggregate id, then
    ``shared`` (values from the stored row, which its history row holds too), then
    ``by_actor`` (the importing caller). The history row holds the id, every array's value,
    ``created_by`` and ``import_job``: the members of ``shared`` are serialised once, for both
    (in ``jsonb`` the members' order is immaterial)."""

    statement: str
    arrays: Sequence[str]
    entity: str
    model: type[DomainEvent]
    shared: Sequence[str]
    by_actor: Sequence[str] = ()

    def __post_init__(self) -> None:
        members = (self.model.aggregate_field, *self.shared, *self.by_actor)
        if tuple(self.model.model_fields) != members:
            raise RuntimeError(f"{self.model.__name__}'s fields changed: update the import")
        if not self.shared or not self.history_only or not set(self.shared) <= set(self.arrays):
            raise RuntimeError("the event and history members are not split as written")

    @property
    def history_only(self) -> list[str]:
        """The stored values the history row holds and the event does not."""
        return [name for name in self.arrays if name not in self.shared]


# The rows' values are the validation's (text, dates, None, lists of text) and the owner's id
# (a UUID: ``to_json`` writes its text, as the event's ``str`` field holds it).
_STORES = _Kind(
    sql.LOAD_STORES, sql.STORE_ARRAYS, "store", events.StoreRegistered,
    shared=("platform", "platform_shop_id", "name", "region_code", "owner_enterprise_id",
            "owner_individual", "category", "opened_on"),
)  # fmt: skip
_ENTERPRISES = _Kind(
    sql.LOAD_ENTERPRISES, sql.ENTERPRISE_ARRAYS, "enterprise", events.EnterpriseRegistered,
    shared=("credit_code", "name", "region_code", "kinds"), by_actor=("registered_by",),
)  # fmt: skip


def _store_row(record: dict[str, Any], owner: uuid.UUID | None) -> dict[str, Any]:
    # The status the store is stored with (and its history row and event say).
    status = "active" if record["closed_on"] is None else "closed"
    return {**record, "owner_enterprise_id": owner, "status": status}


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

    def prepare(self, batch: Batch) -> Prepared | None:
        """The batch's load arguments when they need nothing from the database (pure CPU, safe
        in a thread; pass them to ``load``); None when ``load`` must look something up first
        (stores naming an owner by credit code, park residents)."""
        if not batch:
            return None
        if self.kind is ImportKind.enterprises:
            return self._prepare(_ENTERPRISES, [r for _, r in batch])
        if self.kind is ImportKind.stores and not any(r["owner_credit_code"] for _, r in batch):
            return self._prepare(_STORES, [_store_row(r, None) for _, r in batch])
        return None

    def _prepare(self, kind: _Kind, rows: Sequence[dict[str, Any]]) -> Prepared:
        """Ids, column arrays, and every row's event and history row, ready to copy.

        Each envelope holds what ``wrap`` puts in one (``append_events``' envelope), written as
        ``model_dump_json(exclude_none=True)`` writes it: the members in the model's order,
        the trace members only when set, the event's ``data`` with its null members. Its
        ``time`` is read from the clock every event of the service is stamped with (the host's
        UTC clock, as ``wrap``), as the row is prepared: up to one batch before its insert runs
        (the import used the database's ``clock_timestamp()`` before; the importer has no
        business clock of its own)."""
        trace = current_trace_headers()
        parent, state = trace.get("traceparent"), trace.get("tracestate")
        topic = field_text(f"{self.topic_prefix}{kind.model.topic}")
        cloud_type = kind.model.cloudevents_type()
        event_type = field_text(cloud_type)
        tail = field_text(parent) + field_text(state)
        entity, actor = field_text(kind.entity), field_text(self.actor)
        imported = field_text("imported")
        # The envelope's bytes around each row's values, its members in the model's order:
        # {"specversion":…,"id":"<event id>","source":…,"type":…,"subject":"<key>","time":
        # <instant>,"datacontenttype":…,"data":{"<aggregate>":"<key>",<values>[,<by_actor>]}
        # [,<trace members>]}: the trace members only when set (``exclude_none``); ``data``
        # keeps its null members (``exclude_none`` does not reach into a dict).
        head = b'{%b,"id":"' % _member("specversion", _SPECVERSION)
        subject = b'",%b,%b,"subject":"' % (
            _member("source", self.event_source),
            _member("type", cloud_type),
        )
        time = b'","time":'
        data = b',%b,"data":{%b:"' % (
            _member("datacontenttype", _CONTENT_TYPE),
            to_json(kind.model.aggregate_field),
        )
        by_actor = b"".join(b"," + _member(name, self.actor) for name in kind.by_actor)
        tracing = b"".join(
            b"," + _member(name, value)
            for name, value in (("traceparent", parent), ("tracestate", state))
            if value is not None
        )
        end = by_actor + b"}" + tracing + b"}"
        # The history row: the id, the stored values, who and which job.
        history_head = _JSONB_VERSION + b'{"id":"'
        history_end = b",%b,%b}" % (
            _member("created_by", self.actor),
            _member("import_job", str(self.job_id)),
        )
        shared, history_only, clock = kind.shared, kind.history_only, _clock
        ids: list[str] = []
        outbox, history = CopyRows(), CopyRows()
        for row in rows:
            # Time-ordered (UUIDv7) ids: a batch's index entries land together instead of on
            # random pages of the primary-key and event-id indexes. ``uuid_utils``' own UUID,
            # not its stdlib-compatible one: a fifth of the cost, and the ids travel as text.
            new_id, event_id = uuid7(), uuid7()
            key = str(new_id)
            ids.append(key)
            encoded_key = key.encode("ascii")
            values = _members({name: row[name] for name in shared})
            payload = b"".join(
                (head, str(event_id).encode("ascii"), subject, encoded_key, time,
                 to_json(clock()), data, encoded_key, b'",', values, end)
            )  # fmt: skip
            outbox.add(
                _OUTBOX_ROW, UUID_LENGTH, event_id.bytes, topic, _KEY, encoded_key,
                _LANES[lane_of(key)], event_type, LENGTH(len(payload)), payload, tail,
            )  # fmt: skip
            own = _members({name: row[name] for name in history_only})
            new_values = b"".join(
                (history_head, encoded_key, b'",', values, b",", own, history_end)
            )
            history.add(
                _HISTORY_ROW, entity, UUID_LENGTH, new_id.bytes, _VERSION_1, imported, actor,
                LENGTH(len(new_values)), new_values,
            )  # fmt: skip
        arrays = [[row[name] for row in rows] for name in kind.arrays]
        if kind is _ENTERPRISES:
            # Kinds travel comma-joined: unnest cannot yield one array per row.
            arrays[kind.arrays.index("kinds")] = [",".join(row["kinds"]) for row in rows]
        return Prepared(ids, arrays, outbox.close(), history.close())

    async def load(
        self, batch: Batch, prepared: Prepared | None = None
    ) -> tuple[int, int, list[RowError]]:
        """Returns (rows loaded, rows skipped as already present, rows refused by the database
        checks: references that do not exist or lie outside the caller's regions).

        ``prepared``: the batch's ``prepare(batch)``, if already computed."""
        if not batch:
            return 0, 0, []
        if self.kind is ImportKind.enterprises:
            if prepared is None:
                prepared = self._prepare(_ENTERPRISES, [r for _, r in batch])
            loaded = await self._load_prepared(_ENTERPRISES, prepared)
            return loaded, len(batch) - loaded, []
        if self.kind is ImportKind.stores:
            if prepared is not None:
                loaded = await self._load_prepared(_STORES, prepared)
                return loaded, len(batch) - loaded, []
            return await self._stores(batch)
        return await self._residents(batch)

    async def _load_prepared(self, kind: _Kind, prepared: Prepared) -> int:
        """The rows, then the events and history rows of those inserted, in the caller's
        transaction: they commit together or not at all."""
        result = await self.connection.fetchrow(
            kind.statement, prepared.ids, *prepared.arrays, self.actor
        )
        if result is None:  # an aggregate always answers one row
            raise RuntimeError("the load statement returned no row")
        loaded: int = result["loaded"]
        keep: Sequence[int] = range(len(prepared.ids))
        if loaded < len(prepared.ids):
            # Rows already present (or inserted meanwhile by another writer) were skipped:
            # only the rows this insert wrote get an event and a history row.
            inserted = {str(new_id) for new_id in result["ids"] or ()}
            keep = [n for n, new_id in enumerate(prepared.ids) if new_id in inserted]
        if keep:
            await self.connection.copy_to_table(
                sql.OUTBOX_TABLE, source=prepared.events.only(keep), columns=sql.OUTBOX_COLUMNS,
                format="binary",
            )  # fmt: skip
            await self.connection.copy_to_table(
                sql.HISTORY_TABLE, source=prepared.history.only(keep),
                columns=sql.HISTORY_COLUMNS, format="binary",
            )  # fmt: skip
        return loaded

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
                rows.append(_store_row(record, owners.get(code) if code else None))
        loaded = await self._load_prepared(_STORES, self._prepare(_STORES, rows)) if rows else 0
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
