"""Writing events to the transactional outbox, in the caller's transaction.

A handler changes its state and calls ``append_events`` on the same connection inside one
transaction: either both commit or neither does. Only the relay sends them to Kafka.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zlib
from collections.abc import Sequence
from typing import Any

import asyncpg

from shared.events.envelope import DomainEvent, wrap
from shared.telemetry import current_trace_headers

OUTBOX_LANES = 16


def lane_of(message_key: str) -> int:
    """A stable lane per key (crc32, not ``hash()``, which differs between processes)."""
    return zlib.crc32(message_key.encode("utf-8")) % OUTBOX_LANES


def _insert(first: int, when: str | None = None) -> str:
    """The outbox insert of the eight arrays (``outbox_arguments``) from parameter ``$first``;
    with ``when`` (an SQL condition), only if it holds."""
    arrays = ", ".join(
        f"${first + n}::{kind}[]"
        for n, kind in enumerate(
            ("uuid", "text", "text", "smallint", "text", "bytea", "text", "text")
        )
    )
    return (
        "INSERT INTO outbox (event_id, topic, message_key, lane, event_type, payload, "
        f"traceparent, tracestate) SELECT * FROM unnest({arrays})"
        + (f" WHERE {when}" if when else "")
    )


_INSERT = _insert(1)


def insert_cte(name: str, first: int, *, when: str | None = None) -> str:
    """The outbox insert as a data-modifying CTE ``name`` of another statement, its arrays from
    parameter ``$first`` on: a write path's state change and its events in one round trip. The
    statement must run in the change's transaction (or be it). ``when``, an SQL condition on the
    statement's other CTEs, writes the events only if it holds (the change was made now)."""
    return f"{name} AS ({_insert(first, when)})"


def outbox_arguments(
    events: Sequence[DomainEvent],
    *,
    source: str,
    topic_prefix: str = "",
    occurred_at: dt.datetime | None = None,
) -> tuple[list[Any], ...]:
    """The eight arrays the outbox insert takes (``_INSERT``, ``insert_cte``), in order."""
    trace_headers = current_trace_headers()
    envelopes = [
        wrap(
            event,
            source=source,
            occurred_at=occurred_at,
            traceparent=trace_headers.get("traceparent"),
            tracestate=trace_headers.get("tracestate"),
        )
        for event in events
    ]
    keys = [envelope.subject for envelope in envelopes]
    return (
        [uuid.UUID(envelope.id) for envelope in envelopes],
        [f"{topic_prefix}{event.topic}" for event in events],
        keys,
        [lane_of(key) for key in keys],
        [envelope.type for envelope in envelopes],
        [envelope.model_dump_json(exclude_none=True).encode("utf-8") for envelope in envelopes],
        [trace_headers.get("traceparent")] * len(envelopes),
        [trace_headers.get("tracestate")] * len(envelopes),
    )


async def append_events(
    connection: asyncpg.Connection,
    events: Sequence[DomainEvent],
    *,
    source: str,
    topic_prefix: str = "",
    occurred_at: dt.datetime | None = None,
) -> list[str]:
    """Add events to the outbox; returns their event ids. Must run inside a transaction."""
    if not events:
        return []
    if not connection.is_in_transaction():
        raise RuntimeError("append_events must run in the transaction that changes the state")
    arguments = outbox_arguments(
        events, source=source, topic_prefix=topic_prefix, occurred_at=occurred_at
    )
    await connection.execute(_INSERT, *arguments)
    return [str(event_id) for event_id in arguments[0]]
