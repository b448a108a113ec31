"""The events and history rows a bulk import writes, on real PostgreSQL.

Imports used to build each loaded record's CloudEvents envelope and history row in SQL, in the
statement that inserted the records; they now build them in Python (the bytes
``shared.events.envelope.wrap`` and ``model_dump_json`` give every other event) and copy them
in. These tests hold the new rows to the old
statement's output on the same input: the same members and values (``time`` aside: it is now
read from the service's clock as the batch is prepared, not the database's per row), the same
key, lane, topic and trace headers, and the event parses as its pydantic model."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

import asyncpg
import pytest
from opentelemetry import context as otel_context
from opentelemetry.context import Context

from registry.domain.imports.columns import ImportKind
from registry.handlers.import_loader import Batch, BatchLoader
from shared.events import default_catalog
from shared.events.envelope import DomainEvent, EventEnvelope
from shared.events.registry import EnterpriseRegistered, StoreRegistered
from shared.telemetry import context_from_headers
from tests.support import polling

T = TypeVar("T")
SOURCE = "urn:test:registry"
PREFIX = "test."
ACTOR = "importer-test"
TRACE = {
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "tracestate": "congo=t61rcWkgMzE",
}


# --- the statement imports ran before, kept verbatim as the reference -------------------------


def _envelope(source: str, event_type: str, parent: str, state: str, data: str) -> str:
    def build(*trace: str) -> str:
        return (
            f"json_build_object('specversion', '1.0', 'id', v.event_id, 'source', {source}::text, "
            f"'type', {event_type}::text, 'subject', i.id, 'time', clock_timestamp(), "
            f"'datacontenttype', 'application/json', {''.join(trace)}'data', {data})"
        )

    with_parent = f"'traceparent', {parent}::text, "
    with_state = f"'tracestate', {state}::text, "
    return (
        f"CASE WHEN {parent}::text IS NULL THEN {build()} "
        f"WHEN {state}::text IS NULL THEN {build(with_parent)} "
        f"ELSE {build(with_parent, with_state)} END"
    )


def _previous_load_batch(
    *,
    table: str,
    columns: Sequence[tuple[str, str]],
    insert: Mapping[str, str],
    conflict: str,
    event: type[DomainEvent],
    data: Mapping[str, str],
) -> str:
    names = [name for name, _ in columns]
    arrays = ", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(columns, start=4))
    first = len(columns) + 4
    actor, source, topic, event_type, parent, state, entity, job = (
        f"${n}" for n in range(first, first + 8)
    )
    values = ", ".join(expr.format(actor=actor) for expr in insert.values())
    members = ", ".join(
        f"'{field}', {data.get(field, f'i.{field}').format(actor=actor)}"
        for field in event.model_fields
    )
    envelope = _envelope(source, event_type, parent, state, f"json_build_object({members})")
    returned = ", ".join(["id", *insert])
    row_members = ", ".join(f"'{column}', i.{column}" for column in ["id", *insert])
    return f"""
WITH v AS (
    SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::uuid[], {arrays})
        AS v (id, lane, event_id, {", ".join(names)})
), i AS (
    INSERT INTO {table} (id, {", ".join(insert)})
    SELECT v.id, {values} FROM v
    ON CONFLICT {conflict} DO NOTHING
    RETURNING {returned}
), events AS (
    INSERT INTO outbox (event_id, topic, message_key, lane, event_type, payload, traceparent,
                        tracestate)
    SELECT v.event_id, {topic}, i.id::text, v.lane, {event_type},
           convert_to({envelope}::text, 'UTF8'),
           {parent}, {state}
    FROM i JOIN v ON v.id = i.id
), history AS (
    INSERT INTO entity_changes (entity_type, entity_id, version, action, changed_by, new_values)
    SELECT {entity}, i.id, 1, 'imported', {actor},
           jsonb_build_object({row_members}, 'import_job', {job}::text)
    FROM i
)
SELECT count(*) FROM i
"""


_PREVIOUS_STORE_ARRAYS = [
    ("platform", "text"), ("platform_shop_id", "text"), ("name", "text"),
    ("owner_enterprise_id", "uuid"), ("owner_individual", "text"), ("region_code", "text"),
    ("category", "text"), ("opened_on", "date"), ("closed_on", "date"),
]  # fmt: skip
PREVIOUS_LOAD_STORES = _previous_load_batch(
    table="stores",
    columns=_PREVIOUS_STORE_ARRAYS,
    insert={name: f"v.{name}" for name, _ in _PREVIOUS_STORE_ARRAYS}
    | {
        "status": "CASE WHEN v.closed_on IS NULL THEN 'active' ELSE 'closed' END",
        "created_by": "{actor}",
    },
    conflict="(platform, platform_shop_id)",
    event=StoreRegistered,
    data={"store_id": "i.id"},
)
_PREVIOUS_ENTERPRISE_ARRAYS = [
    ("credit_code", "text"), ("name", "text"), ("region_code", "text"), ("kinds", "text"),
    ("contact_phone", "text"), ("contact_email", "text"), ("established_on", "date"),
]  # fmt: skip
PREVIOUS_LOAD_ENTERPRISES = _previous_load_batch(
    table="enterprises",
    columns=_PREVIOUS_ENTERPRISE_ARRAYS,
    insert={name: f"v.{name}" for name, _ in _PREVIOUS_ENTERPRISE_ARRAYS}
    | {
        "kinds": "COALESCE(string_to_array(NULLIF(v.kinds, ''), ','), '{{}}')",
        "created_by": "{actor}",
    },
    conflict="(credit_code)",
    event=EnterpriseRegistered,
    data={"enterprise_id": "i.id", "registered_by": "{actor}::text"},
)

# --- helpers ----------------------------------------------------------------------------------


def run(dsn: str, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    async def main() -> T:
        connection = await asyncpg.connect(dsn)
        try:
            return await work(connection)
        finally:
            await connection.close()

    return asyncio.run(main())


def store_batch() -> Batch:
    tag = secrets.token_hex(4)
    records: list[dict[str, Any]] = [
        {"platform": "douyin", "platform_shop_id": f"dy-{tag}-1", "name": "黔东南苗绣小店",
         "owner_credit_code": None, "owner_individual": "吴某", "region_code": "522601",
         "category": "土特产", "opened_on": dt.date(2025, 5, 1), "closed_on": None},
        # Quotes, a backslash and a tab: JSON escapes, and nothing COPY may misread.
        {"platform": "taobao", "platform_shop_id": f"tb-{tag}-2", "name": 'A "quoted"\\ shop\t2',
         "owner_credit_code": None, "owner_individual": "张三", "region_code": "520102",
         "category": None, "opened_on": None, "closed_on": dt.date(2025, 12, 31)},
    ]  # fmt: skip
    return list(enumerate(records, start=2))


def enterprise_batch() -> Batch:
    digits = "".join(secrets.choice("0123456789") for _ in range(9))
    records: list[dict[str, Any]] = [
        {"credit_code": f"91520102{digits}X", "name": "贵州苗绣电子商务有限公司",
         "region_code": "520102", "kinds": ["ecommerce_enterprise", "live_streaming"],
         "contact_phone": "0851-12345678", "contact_email": "a@example.cn",
         "established_on": dt.date(2020, 1, 2)},
        {"credit_code": f"91520102{digits}Y", "name": "No kinds", "region_code": "520102",
         "kinds": [], "contact_phone": None, "contact_email": None, "established_on": None},
    ]  # fmt: skip
    return list(enumerate(records, start=2))


def loader(connection: asyncpg.Connection, kind: ImportKind, job: uuid.UUID) -> BatchLoader:
    return BatchLoader(
        connection, kind=kind, actor=ACTOR, job_id=job, topic_prefix=PREFIX,
        event_source=SOURCE, may_write=lambda code: True,
    )  # fmt: skip


OUTBOX = """
SELECT event_id, topic, message_key, lane, event_type, payload, traceparent, tracestate
FROM outbox WHERE message_key = ANY($1::text[]) ORDER BY message_key
"""
HISTORY = """
SELECT entity_type, entity_id, version, action, changed_by, new_values
FROM entity_changes WHERE entity_id = ANY($1::uuid[]) ORDER BY entity_id
"""


async def written(connection: asyncpg.Connection, ids: Sequence[Any]) -> tuple[Any, Any]:
    outbox = await connection.fetch(OUTBOX, [str(i) for i in ids])
    history = await connection.fetch(HISTORY, [str(i) for i in ids])
    return [dict(row) for row in outbox], [dict(row) for row in history]


def previous_arguments(kind: ImportKind, batch: Batch) -> tuple[str, list[list[Any]]]:
    records = [record for _, record in batch]
    if kind is ImportKind.stores:
        columns = [name for name, _ in _PREVIOUS_STORE_ARRAYS]
        rows = [{**r, "owner_enterprise_id": None} for r in records]
        return PREVIOUS_LOAD_STORES, [[row[name] for row in rows] for name in columns]
    columns = [name for name, _ in _PREVIOUS_ENTERPRISE_ARRAYS]
    rows = [{**r, "kinds": ",".join(r["kinds"])} for r in records]
    return PREVIOUS_LOAD_ENTERPRISES, [[row[name] for row in rows] for name in columns]


# --- tests ------------------------------------------------------------------------------------


@pytest.mark.parametrize("traced", [False, True], ids=["untraced", "traced"])
@pytest.mark.parametrize("kind", [ImportKind.stores, ImportKind.enterprises])
def test_imported_events_and_history_are_what_the_sql_statement_wrote(
    registry_db: str, kind: ImportKind, traced: bool
) -> None:
    batch = store_batch() if kind is ImportKind.stores else enterprise_batch()
    model, entity = (
        (StoreRegistered, "store") if kind is ImportKind.stores else (EnterpriseRegistered, "enterprise")
    )  # fmt: skip
    job = uuid.uuid4()

    async def import_now(connection: asyncpg.Connection) -> Any:
        token = otel_context.attach(cast(Context, context_from_headers(TRACE))) if traced else None
        try:
            async with connection.transaction():
                started = await connection.fetchval("SELECT clock_timestamp()")
                load = loader(connection, kind, job)
                prepared = load.prepare(batch)
                assert prepared is not None
                loaded, skipped, refused = await load.load(batch, prepared)
                assert (loaded, skipped, refused) == (len(batch), 0, [])
                outbox, history = await written(connection, prepared.ids)
                ended = await connection.fetchval("SELECT clock_timestamp()")
                # The reference below inserts the same keys: this run must not stay.
                raise _RollBack((prepared.ids, outbox, history, started, ended))
        except _RollBack as rolled_back:
            return rolled_back.value
        finally:
            if token is not None:
                otel_context.detach(token)

    ids, outbox, history, started, ended = run(registry_db, import_now)
    event_ids = [row["event_id"] for row in outbox]

    async def import_before(connection: asyncpg.Connection) -> Any:
        statement, arrays = previous_arguments(kind, batch)
        by_key = {row["message_key"]: row for row in outbox}
        async with connection.transaction():
            loaded = await connection.fetchval(
                statement, ids, [by_key[str(i)]["lane"] for i in ids],
                [by_key[str(i)]["event_id"] for i in ids], *arrays, ACTOR, SOURCE,
                f"{PREFIX}{model.topic}", model.cloudevents_type(),
                TRACE["traceparent"] if traced else None, TRACE["tracestate"] if traced else None,
                entity, str(job),
            )  # fmt: skip
            assert loaded == len(batch)
            result = await written(connection, ids)
            raise _RollBack(result)

    async def reference(connection: asyncpg.Connection) -> Any:
        try:
            await import_before(connection)
        except _RollBack as rolled_back:
            return rolled_back.value

    before_outbox, before_history = run(registry_db, reference)
    assert len(outbox) == len(before_outbox) == len(batch) == len(history) == len(before_history)
    assert len(set(event_ids)) == len(batch)
    catalog = default_catalog()
    for now, then in zip(outbox, before_outbox, strict=True):
        columns = ("event_id", "topic", "message_key", "lane", "event_type", "traceparent",
                   "tracestate")  # fmt: skip
        assert {c: now[c] for c in columns} == {c: then[c] for c in columns}
        new, old = json.loads(now["payload"]), json.loads(then["payload"])
        # The same members and values; the time is the same instant's text in another form.
        new_time, old_time = dt.datetime.fromisoformat(new.pop("time")), old.pop("time")
        assert new == old
        assert dt.datetime.fromisoformat(old_time).tzinfo is not None
        assert started - dt.timedelta(seconds=5) <= new_time <= ended
        assert new_time.utcoffset() == dt.timedelta(0)
        assert ("traceparent" in new) is traced and None not in new.values()
        # It parses as its model, and serialises exactly as every other event does.
        envelope = EventEnvelope.model_validate_json(now["payload"])
        event = catalog.parse(envelope)
        assert isinstance(event, model)
        assert event.aggregate_id() == now["message_key"] == envelope.subject
        assert now["payload"] == envelope.model_dump_json(exclude_none=True).encode()
    for now, then in zip(history, before_history, strict=True):
        assert now == then


class _RollBack(Exception):
    """Leaves a transaction by rolling it back, carrying what was read inside it."""

    def __init__(self, value: Any) -> None:
        super().__init__("roll back")
        self.value = value


def test_rows_already_present_or_inserted_meanwhile_get_no_event_or_history(
    registry_db: str,
) -> None:
    # Three new keys (two calls: two tags); the first is in the table already, the third
    # another writer inserts while the import runs.
    batch = [*store_batch(), (4, store_batch()[0][1])]
    present, racing = batch[0][1], batch[2][1]
    other_id = uuid.uuid4()

    async def scenario(connection: asyncpg.Connection) -> Any:
        insert = (
            "INSERT INTO stores (id, platform, platform_shop_id, name, owner_individual, "
            "region_code, created_by) VALUES ($1, $2, $3, 'x', 'x', '522601', 'other')"
        )
        await connection.execute(
            insert, uuid.uuid4(), present["platform"], present["platform_shop_id"]
        )
        other = await asyncpg.connect(registry_db)
        # The relay wakes on the outbox's NOTIFY (a statement trigger, which COPY fires too).
        woken = asyncio.Event()
        await other.add_listener("outbox_inserted", lambda *_: woken.set())
        try:
            # Another writer inserts one of the batch's keys and commits while the import's
            # insert waits for it.
            racer = other.transaction()
            await racer.start()
            await other.execute(insert, other_id, racing["platform"], racing["platform_shop_id"])
            load = loader(connection, ImportKind.stores, uuid.uuid4())
            prepared = load.prepare(batch)
            assert prepared is not None

            async def import_batch() -> Any:
                async with connection.transaction():
                    return await load.load(batch, prepared)

            importing = asyncio.ensure_future(import_batch())
            # The import's backend waits for a lock (the other writer's key), seen from a
            # third session: the racer's own transaction would see a cached snapshot.
            importer_pid = connection.get_server_pid()
            watcher = await asyncpg.connect(registry_db)
            try:

                async def import_waits_on_a_lock() -> bool:
                    waiting = await watcher.fetchval(
                        "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1",
                        importer_pid,
                    )
                    return bool(waiting)

                await polling.until(
                    import_waits_on_a_lock,
                    seconds=30,
                    interval=0.05,
                    message="the import never waited on the other writer's key",
                )
            finally:
                await watcher.close()
            assert not importing.done()  # waiting on the other writer's key
            await racer.commit()
            result = await importing
            await asyncio.wait_for(woken.wait(), timeout=10)
        finally:
            await other.close()
        stored = await connection.fetch(
            "SELECT id, platform_shop_id FROM stores WHERE platform_shop_id = ANY($1)",
            [r["platform_shop_id"] for _, r in batch],
        )
        outbox, history = await written(connection, [*prepared.ids, *(r["id"] for r in stored)])
        return prepared.ids, result, stored, outbox, history

    ids, result, stored, outbox, history = run(registry_db, scenario)
    assert result == (1, 2, [])
    imported = {str(row["id"]) for row in stored} & set(ids)
    assert imported == {ids[1]}
    assert [row["message_key"] for row in outbox] == [ids[1]]
    assert [str(row["entity_id"]) for row in history] == [ids[1]]
    assert other_id in {row["id"] for row in stored}
