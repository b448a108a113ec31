"""asyncpg pool creation with JSON codecs that keep money exact (Decimal is written as a string)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from decimal import Decimal
from typing import Any

import asyncpg

from shared.db.fair_queue import HandOffQueue

log = logging.getLogger(__name__)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # A string, never a float: amounts in fen or yuan must survive a round trip exactly.
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def json_dumps(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


async def _init_connection(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, encoder=json_dumps, decoder=json.loads, schema="pg_catalog"
        )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset, after asyncpg's own (which rolls back a transaction left open and
    drops the connection's listener callbacks): no reset query.

    asyncpg's default sends ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL`` on every release, a round trip (two on the write path: the Idempotency-Key
    reservation's connection and the route's) that undoes session state a pooled connection
    never has here: session advisory locks and ``LISTEN`` live on connections of their own
    (the outbox lease), settings are ``SET LOCAL`` and cursors live inside transactions.
    ``tests/unit/shared/test_pool_sessions.py`` keeps production code to that."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        command_timeout=60,
    )
    if pool is None:  # typed optional by asyncpg's stubs; asyncpg itself always returns it
        raise RuntimeError("asyncpg.create_pool returned no pool")
    serve_in_arrival_order(pool)
    return pool


def serve_in_arrival_order(pool: asyncpg.Pool) -> None:
    """Replaces the pool's queue of idle connections by one that serves waiters first come,
    first served (``fair_queue``): with asyncpg's ``LifoQueue`` a request that waited could be
    overtaken by later ones again and again, a long tail of latency under contention.

    The least invasive change that works with asyncpg 0.30 (it has no option for this): its
    ``Pool`` uses the queue only through ``get`` (acquire) and ``put_nowait`` (release, a
    failed acquire, start-up), which the replacement keeps; ``close``, ``terminate`` and
    ``expire_connections`` walk the pool's list of holders, not the queue. Done right after
    the pool started, before anything can acquire (no ``await`` in between), with its idle
    connections in the same order. A later asyncpg that changed how its pool queues fails
    here, at start-up, rather than silently."""
    lifo = pool._queue
    if not isinstance(lifo, asyncio.LifoQueue):
        raise RuntimeError(
            f"asyncpg {asyncpg.__version__}'s pool no longer queues its connections in an "
            "asyncio.LifoQueue: check shared.db.fair_queue against it"
        )
    idle = []
    while not lifo.empty():
        idle.append(lifo.get_nowait())  # the next to go out first
    fair: HandOffQueue[object] = HandOffQueue()
    for holder in reversed(idle):
        fair.put_nowait(holder)
    pool._queue = fair


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection with the same codecs, for listeners and scripts."""
    connection = await asyncpg.connect(dsn)
    await _init_connection(connection)
    return connection


async def close_pool(pool: asyncpg.Pool, timeout_seconds: float = 10.0) -> None:
    """Close gracefully, but not for ever: a connection that PostgreSQL cut mid-transaction
    (a restart) can stay checked out of asyncpg's pool, and ``close()`` would wait for it."""
    try:
        await asyncio.wait_for(pool.close(), timeout_seconds)
    except TimeoutError:
        log.warning("database pool did not close within %.0f s: terminating it", timeout_seconds)
        pool.terminate()
