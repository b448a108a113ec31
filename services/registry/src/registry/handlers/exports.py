"""Exporting a list: the list's filters and the caller's visibility, every row, read from a
server-side cursor ``FETCH_ROWS`` at a time in one read-only transaction, so the list is never
held in memory whole.

The query runs and its first rows are fetched before the caller answers, so a filter the
database refuses is a problem document (422), not a dropped connection; and who exported which
list with which filters is recorded before a row leaves (001 (二十三)).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from registry.db.list_queries import ListQuery, list_query
from registry.db.repository import export_batches
from registry.domain.entities.spec import EntitySpec
from registry.handlers.common import Context, Pool, Row
from registry.handlers.listing import ListRequest, record_query
from shared import audit
from shared.auth import Principal
from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import t

ALL_ROWS = 100_000_000
FETCH_ROWS = 2_000

Cell = str | int | Decimal
# A row as the file shows it, given the credit codes of its batch's owners (by enterprise id).
RenderRow = Callable[[Row, Mapping[uuid.UUID, str]], list[Cell]]


@dataclass(frozen=True)
class Export:
    """The file's rows, the header first; ``close`` gives the cursor's connection back (also
    when the reader stops early)."""

    rows: AsyncIterator[list[Any]]
    close: Callable[[], Awaitable[None]]


async def start_export(
    context: Context,
    spec: EntitySpec,
    principal: Principal,
    listed: ListRequest,
    *,
    file_format: str,
    header: list[str],
    render: RenderRow,
) -> Export:
    query = list_query(record_query(spec, principal, context.regions, listed))
    generator = _rows(context.pool, query, header, render)
    rows = await _started(generator)
    await audit.record_access(
        context.pool,
        actor=audit.Actor.of(principal),
        action=f"{spec.name}.exported",
        resource_type=spec.name,
        details={"format": file_format, "filters": dict(listed.parameters)},
    )
    return Export(rows=rows, close=generator.aclose)


async def _rendered(
    batches: AsyncIterator[tuple[list[Row], dict[uuid.UUID, str]]], render: RenderRow
) -> AsyncIterator[list[Cell]]:
    # Each row is made public only as it is written, so a row that cannot be read fails where
    # it stands, after the rows before it.
    async for rows, credit_codes in batches:
        for row in rows:
            yield render(row, credit_codes)


async def _rows(
    pool: Pool, query: ListQuery, header: list[str], render: RenderRow
) -> AsyncGenerator[list[Any], None]:
    async with pool.acquire() as connection, connection.transaction(readonly=True):
        statement = query.sql(limit=ALL_ROWS)
        batches = export_batches(connection, statement, query.params, FETCH_ROWS)
        rows = _rendered(batches, render)
        first = await anext(rows, None)
        yield header  # the first item comes once the database has answered
        if first is not None:
            yield first
            async for row in rows:
                yield row


async def _started(rows: AsyncIterator[list[Any]]) -> AsyncIterator[list[Any]]:
    """Run ``rows`` to its first item (the query has run and answered) before any response is
    sent; what the database refuses in the request's values becomes a 422."""
    try:
        first = await anext(rows)
    except asyncpg.DataError as exc:
        raise ProblemError(
            catalogue.VALIDATION_FAILED,
            t(
                "筛选值无法用于查询（数据库拒绝了该值）",
                "a filter value cannot be searched for (the database refused it)",
            ),
        ) from exc

    async def resumed() -> AsyncIterator[list[Any]]:
        yield first
        async for row in rows:
            yield row

    return resumed()
