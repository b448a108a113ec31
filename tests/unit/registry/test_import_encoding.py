"""The outbox and history rows a bulk import encodes for ``COPY`` (pure: no database).

The import writes each loaded record's event envelope without pydantic's per-row round trip;
these tests hold its bytes to what every other event's are, ``wrap(event).model_dump_json(
exclude_none=True)``, byte for byte, for hostile text (quotes, backslashes, control and
non-ASCII characters, every code point), nulls, dates, times and trace contexts, and its
history rows to the pool's JSON codec's values."""

from __future__ import annotations

import datetime as dt
import json
import struct
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import context as otel_context
from opentelemetry.context import Context

from registry.db import import_queries as sql
from registry.domain.imports.columns import ImportKind
from registry.handlers import import_copy, import_loader
from registry.handlers.import_copy import CopyRows
from registry.handlers.import_loader import Batch, BatchLoader
from shared.db.pool import json_dumps
from shared.events.envelope import DomainEvent, EventEnvelope, wrap
from shared.events.registry import EnterpriseRegistered, StoreRegistered
from shared.messaging.outbox import lane_of
from shared.telemetry import context_from_headers

SOURCE = 'urn:registry:导入 "quoted" \\ source'
PREFIX = "test."
ACTOR = 'importer "张三" \\ \t'
JOB = uuid.UUID("0190f1b2-0000-7000-8000-000000000001")
PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
STATE = "congo=t61rcWkgMzE"
HOSTILE = [
    "黔东南苗绣小店",
    'A "quoted"\\ shop\t2',
    "line\nbreak\r\x08\x0c/slash",
    "".join(chr(c) for c in range(1, 32)) + "\x7f\x80\x9f",
    "\u2028\u2029\ufeff\ufffe\uffff",
    "😀 𠀀 astral",
    "</script><!-- '&amp;' -->",
    "é\u0301 combining",
    "\\u0000 \\n literal escapes",
    "",
]


def decode_copy(rows: CopyRows) -> list[list[bytes | None]]:
    """PostgreSQL's binary COPY stream back into rows of fields."""
    data = b"".join(rows.parts)
    assert all(len(part) >= import_copy.PART for part in rows.parts[:-1])
    assert data.startswith(b"PGCOPY\n\xff\r\n\x00") and data.endswith(b"\xff\xff")
    position, decoded = 19, []
    while True:
        (fields,) = struct.unpack_from("!h", data, position)
        position += 2
        if fields == -1:
            break
        row: list[bytes | None] = []
        for _ in range(fields):
            (length,) = struct.unpack_from("!i", data, position)
            position += 4
            if length == -1:
                row.append(None)
            else:
                row.append(data[position : position + length])
                position += length
        decoded.append(row)
    assert position == len(data)
    return decoded


def loader(kind: ImportKind) -> BatchLoader:
    return BatchLoader(
        cast(Any, None), kind=kind, actor=ACTOR, job_id=JOB, topic_prefix=PREFIX,
        event_source=SOURCE, may_write=lambda code: True,
    )  # fmt: skip


def store(n: int, **values: Any) -> dict[str, Any]:
    return {
        "platform": "douyin", "platform_shop_id": f"dy-{n}", "name": f"店铺 {n}",
        "owner_credit_code": None, "owner_individual": "吴某", "region_code": "522601",
        "category": "土特产", "opened_on": dt.date(2025, 5, 1), "closed_on": None, **values,
    }  # fmt: skip


def enterprise(n: int, **values: Any) -> dict[str, Any]:
    return {
        "credit_code": f"9152010200000000{n:02d}", "name": f"企业 {n}", "region_code": "520102",
        "kinds": ["ecommerce_enterprise"], "contact_phone": "0851-1234",
        "contact_email": "a@example.cn", "established_on": dt.date(2020, 1, 2), **values,
    }  # fmt: skip


def event_of(kind: ImportKind, key: str, row: dict[str, Any]) -> DomainEvent:
    """The event as the import wrote it before: its pydantic model, validated."""
    if kind is ImportKind.stores:
        owner = row["owner_enterprise_id"]
        return StoreRegistered(
            store_id=key, platform=row["platform"], platform_shop_id=row["platform_shop_id"],
            name=row["name"], region_code=row["region_code"],
            owner_enterprise_id=None if owner is None else str(owner),
            owner_individual=row["owner_individual"], category=row["category"],
            opened_on=row["opened_on"],
        )  # fmt: skip
    return EnterpriseRegistered(
        enterprise_id=key, credit_code=row["credit_code"], name=row["name"],
        region_code=row["region_code"], kinds=list(row["kinds"]), registered_by=ACTOR,
    )  # fmt: skip


def stored_rows(kind: ImportKind, batch: Batch, owner: uuid.UUID | None) -> list[dict[str, Any]]:
    if kind is ImportKind.stores:
        return [import_loader._store_row(record, owner) for _, record in batch]
    return [record for _, record in batch]


def check(
    kind: ImportKind,
    batch: Batch,
    *,
    owner: uuid.UUID | None = None,
    trace: dict[str, str] | None = None,
) -> list[bytes]:
    """Prepares the batch and checks every outbox and history row against the pydantic path
    and the pool's JSON codec; returns the payloads."""
    token = otel_context.attach(cast(Context, context_from_headers(trace))) if trace else None
    try:
        load = loader(kind)
        rows = stored_rows(kind, batch, owner)
        # Stores naming an owner are prepared after the owner's look-up, by the same code.
        spec = import_loader._STORES if kind is ImportKind.stores else import_loader._ENTERPRISES
        prepared = load._prepare(spec, rows) if owner else load.prepare(batch)
        assert prepared is not None
    finally:
        if token is not None:
            otel_context.detach(token)
    model = StoreRegistered if kind is ImportKind.stores else EnterpriseRegistered
    parent, state = (trace or {}).get("traceparent"), (trace or {}).get("tracestate")
    outbox, history = decode_copy(prepared.events), decode_copy(prepared.history)
    assert len(outbox) == len(history) == len(prepared.ids) == len(rows)
    payloads = []
    for key, row, event_row, history_row in zip(prepared.ids, rows, outbox, history, strict=True):
        event_id, topic, message_key, lane, event_type, payload, traceparent, tracestate = event_row
        assert payload is not None and event_id is not None
        received = EventEnvelope.model_validate_json(payload)
        # ``wrap`` draws a random id; the import's are time-ordered.
        envelope = wrap(
            event_of(kind, key, row), source=SOURCE, occurred_at=received.time,
            traceparent=parent, tracestate=state,
        ).model_copy(update={"id": str(uuid.UUID(bytes=event_id))})  # fmt: skip
        expected = envelope.model_dump_json(exclude_none=True)
        assert payload == expected.encode("utf-8")
        assert received.time.utcoffset() == dt.timedelta(0)
        assert topic == f"{PREFIX}{model.topic}".encode()
        assert message_key == key.encode() and lane == struct.pack("!h", lane_of(key))
        assert event_type == model.cloudevents_type().encode()
        assert traceparent == (parent.encode() if parent else None)
        assert tracestate == (state.encode() if state else None)
        entity, entity_id, version, action, changed_by, new_values = history_row
        assert entity == ("store" if kind is ImportKind.stores else "enterprise").encode()
        assert entity_id == uuid.UUID(key).bytes and version == struct.pack("!i", 1)
        assert action == b"imported" and changed_by == ACTOR.encode()
        assert new_values is not None and new_values[:1] == b"\x01"  # jsonb's version
        arrays = sql.STORE_ARRAYS if kind is ImportKind.stores else sql.ENTERPRISE_ARRAYS
        values = {"id": key, **{name: row[name] for name in arrays}, "created_by": ACTOR}
        # What the history insert wrote through the pool's codec (jsonb: values, not layout).
        reference = json_dumps({**values, "import_job": str(JOB)})
        assert json.loads(new_values[1:]) == json.loads(reference)
        payloads.append(payload)
    return payloads


TRACES = [None, {"traceparent": PARENT}, {"traceparent": PARENT, "tracestate": STATE}]


@pytest.mark.parametrize("trace", TRACES, ids=["untraced", "parent", "parent-and-state"])
def test_store_events_are_the_bytes_model_dump_json_writes(trace: dict[str, str] | None) -> None:
    batch: Batch = [
        (n + 2, store(n, name=name, category=name or None, owner_individual=name or None))
        for n, name in enumerate(HOSTILE)
    ]
    batch.append((99, store(99, opened_on=None, closed_on=dt.date(2025, 12, 31), category=None)))
    batch.append((100, store(100, opened_on=dt.date(1, 1, 1), closed_on=dt.date(9999, 12, 31))))
    check(ImportKind.stores, batch, trace=trace)


def test_a_store_naming_its_owner_writes_the_owner_id_as_text() -> None:
    owner = uuid.UUID("0190f1b2-aaaa-7bbb-8ccc-dddddddddddd")
    (payload,) = check(ImportKind.stores, [(2, store(1, owner_credit_code="x"))], owner=owner)
    assert json.loads(payload)["data"]["owner_enterprise_id"] == str(owner)


@pytest.mark.parametrize("trace", TRACES, ids=["untraced", "parent", "parent-and-state"])
def test_enterprise_events_are_the_bytes_model_dump_json_writes(
    trace: dict[str, str] | None,
) -> None:
    batch: Batch = [
        (n + 2, enterprise(n, name=name or "x", contact_email=name or None))
        for n, name in enumerate(HOSTILE)
    ]
    batch.append((98, enterprise(98, kinds=[], contact_phone=None, established_on=None)))
    batch.append((99, enterprise(99, kinds=["live_streaming", "ecommerce_enterprise"])))
    check(ImportKind.enterprises, batch, trace=trace)


def test_every_code_point_is_escaped_as_pydantic_escapes_it() -> None:
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    check(ImportKind.stores, [(2, store(1, name=every, owner_individual=every[::-1]))])


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dt.datetime]]:
    instants: list[dt.datetime] = []
    monkeypatch.setattr(import_loader, "_clock", lambda: instants.pop(0))
    yield instants


def test_times_are_written_as_pydantic_writes_them(pinned_clock: list[dt.datetime]) -> None:
    # Whole seconds have no fraction, others six digits; always UTC, as "Z".
    instants = [
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, 0, 0, 0, 120000, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 31, 23, 59, 59, 1, tzinfo=dt.UTC),
    ]
    pinned_clock.extend(instants)
    payloads = check(ImportKind.stores, [(n + 2, store(n)) for n in range(len(instants))])
    times = [json.loads(payload)["time"] for payload in payloads]
    assert times == ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00.120000Z",
                     "2026-12-31T23:59:59.000001Z"]  # fmt: skip
    assert not pinned_clock


def test_each_event_is_stamped_as_its_row_is_prepared() -> None:
    before = dt.datetime.now(dt.UTC)
    payloads = check(ImportKind.enterprises, [(n + 2, enterprise(n)) for n in range(50)])
    after = dt.datetime.now(dt.UTC)
    times = [EventEnvelope.model_validate_json(payload).time for payload in payloads]
    assert before <= times[0] and times == sorted(times) and times[-1] <= after


def test_text_that_is_no_unicode_is_refused_as_before() -> None:
    # A lone surrogate cannot be UTF-8: model_dump_json refused it, and so does the import.
    with pytest.raises(ValueError):
        loader(ImportKind.stores).prepare([(2, store(1, name="\ud800"))])


_text = st.text(max_size=40)
_maybe_text = st.none() | _text
_maybe_date = st.none() | st.dates()


@settings(max_examples=150, deadline=None)
@given(
    name=_text, shop=_text, individual=_maybe_text, category=_maybe_text, opened=_maybe_date,
    closed=_maybe_date,
)  # fmt: skip
def test_any_store_row_is_written_as_model_dump_json_writes_it(
    name: str,
    shop: str,
    individual: str | None,
    category: str | None,
    opened: dt.date | None,
    closed: dt.date | None,
) -> None:
    row = store(
        1, name=name, platform_shop_id=shop, owner_individual=individual, category=category,
        opened_on=opened, closed_on=closed,
    )  # fmt: skip
    check(ImportKind.stores, [(2, row)])


@settings(max_examples=100, deadline=None)
@given(name=_text, code=_text, kinds=st.lists(_text, max_size=4), phone=_maybe_text)
def test_any_enterprise_row_is_written_as_model_dump_json_writes_it(
    name: str, code: str, kinds: list[str], phone: str | None
) -> None:
    row = enterprise(1, name=name, credit_code=code, kinds=kinds, contact_phone=phone)
    check(ImportKind.enterprises, [(2, row)])
