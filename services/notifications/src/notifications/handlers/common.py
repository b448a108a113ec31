"""What the API's use cases share: the types the routes hand over without importing the
driver, the hook that claims a request's Idempotency-Key in a use case's transaction, and one
page of a keyset-paged list (read ``limit + 1`` rows at a time, the cursor naming the last row
of the page)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

import asyncpg

from shared.http.pagination import next_cursor, read_cursor

# The pool the API was built with (``api/deps.py``), a connection, and a row, as routes name
# them: routes pass them through, and never run SQL themselves.
Pool: TypeAlias = asyncpg.Pool
Connection: TypeAlias = asyncpg.Connection
Row: TypeAlias = asyncpg.Record

# Runs in the use case's transaction with the row the route renders, where the route claims
# its Idempotency-Key (``shared.http.idempotency``): "this key was applied" commits with the
# change, or neither does.
BeforeCommit = Callable[[asyncpg.Connection, Any], Awaitable[None]]

Item = TypeVar("Item")


@dataclass(frozen=True)
class Slice(Generic[Item]):
    """One page of a keyset-paged list: what the caller may see of it, and the cursor of the
    next page (None: this is the last page)."""

    items: list[Item]
    next_cursor: str | None


def newest_first_after(cursor: str | None) -> tuple[dt.datetime, uuid.UUID] | None:
    """Where a newest-first page starts: after the (created_at, id) its cursor names."""
    return read_cursor(
        cursor, lambda p: (dt.datetime.fromisoformat(p["created_at"]), uuid.UUID(p["id"]))
    )


def newest_first_next(rows: list[Row], limit: int) -> str | None:
    """The cursor of the page after ``rows`` (read ``limit + 1``), None when there is none."""
    return next_cursor(
        rows,
        limit,
        lambda last: {"created_at": last["created_at"].isoformat(), "id": str(last["id"])},
    )
