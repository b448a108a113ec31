"""Keeps ``published_statistics`` at the highest revision of each period's sums
(``submissions.statistics.published``, docs/statistics.md), in the transaction that records the
consumer's inbox row: each revision carries every sum of its period, so a newer one replaces
the period's rows and an older one redelivered late is ignored."""

from __future__ import annotations

from decimal import Decimal

from registry.db import queries
from registry.domain.statistics import period_start
from registry.handlers.common import Connection
from shared.events.statistics import StatisticsPublished


async def published(connection: Connection, event: StatisticsPublished) -> None:
    newer = await connection.fetchval(
        queries.CLAIM_REVISION, event.programme_id, event.period, event.revision, event.published_at
    )
    if newer is None:
        return  # an older or the same revision: the stored one stands
    kind, first_day = period_start(event.period)
    figures = event.figures
    await connection.execute(queries.DELETE_PERIOD, event.programme_id, event.period)
    await connection.execute(
        queries.INSERT_FIGURES,
        event.programme_id,
        event.period,
        kind,
        first_day,
        [f.indicator for f in figures],
        [f.region_code for f in figures],
        [f.level for f in figures],
        [f.basis for f in figures],
        [None if f.value is None else Decimal(f.value) for f in figures],
        [f.provisional for f in figures],
    )
