"""What the relay's run loop does beside publishing: the backlog gauge and the purge of rows
published long ago."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from shared import metrics
from shared.messaging.lanes import POOL_TIMEOUT_SECONDS

log = logging.getLogger(__name__)

# The backlog and the age of its oldest row (the lowest id: ids follow insertion), both by the
# partial index of unpublished rows.
_BACKLOG = """
SELECT count(*) AS rows,
       coalesce(extract(epoch FROM clock_timestamp() - (
           SELECT created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 1)), 0)
           AS oldest_age_seconds
FROM outbox WHERE published_at IS NULL
"""
# While publishing without pause (a long backlog) or failing, the backlog is measured at most
# this often; an idle round always measures it.
BACKLOG_MEASURE_INTERVAL_SECONDS = 15.0
BACKLOG_MEASURE_TIMEOUT_SECONDS = 5.0
_PURGE = """
DELETE FROM outbox WHERE published_at IS NOT NULL
AND published_at < now() - make_interval(days => $1)
"""


async def purge_published(pool: asyncpg.Pool, retention_days: int) -> int:
    async with pool.acquire(timeout=POOL_TIMEOUT_SECONDS) as connection:
        result = await connection.execute(_PURGE, retention_days)
    return int(result.split()[-1])


async def measure_backlog(pool: asyncpg.Pool) -> None:
    async with pool.acquire(timeout=POOL_TIMEOUT_SECONDS) as connection:
        row = await connection.fetchrow(_BACKLOG)
    if row is not None:
        metrics.set_outbox_backlog(int(row["rows"]), float(row["oldest_age_seconds"]))


async def measure_backlog_quietly(pool: asyncpg.Pool) -> None:
    """After a failed round: PostgreSQL may be the one away (already logged), so the
    measurement gives up soon rather than hold up the retry."""
    try:
        await asyncio.wait_for(measure_backlog(pool), BACKLOG_MEASURE_TIMEOUT_SECONDS)
    except Exception as exc:
        log.debug("outbox backlog not measured: %s: %s", type(exc).__name__, exc)
