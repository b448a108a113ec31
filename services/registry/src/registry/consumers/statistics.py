"""Keeps ``published_statistics`` at the highest revision of each period's sums
(``submissions.statistics.published``, docs/statistics.md): each revision carries every sum
of its period, so a newer one replaces the period's rows and an older one redelivered late is
ignored. Runs in the transaction that records the inbox row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import asyncpg

from shared.events import EventEnvelope
from shared.events.envelope import DomainEvent
from shared.events.statistics import StatisticsPublished
from shared.messaging.consumer import Handler

TOPICS = ("submissions.statistics",)

CLAIM_REVISION = """
INSERT INTO published_statistics_revisions AS r (programme_id, period, revision, published_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (programme_id, period) DO UPDATE
SET revision = EXCLUDED.revision, published_at = EXCLUDED.published_at
WHERE r.revision < EXCLUDED.revision
RETURNING revision
"""
DELETE_PERIOD = "DELETE FROM published_statistics WHERE programme_id = $1 AND period = $2"
INSERT_FIGURES = """
INSERT INTO published_statistics (programme_id, period, period_kind, period_start, indicator,
                                  region_code, level, basis, value, provisional)
SELECT $1, $2, $3, $4, f.indicator, f.region_code, f.level, f.basis, f.value, f.provisional
FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::bool[])
     AS f (indicator, region_code, level, basis, value, provisional)
"""


def period_start(period: str) -> tuple[str, dt.date]:
    """``2025-01`` (monthly), ``2025-Q1`` (quarterly), ``2025`` (yearly): kind, first day."""
    year, _, part = period.partition("-")
    if not part:
        return "yearly", dt.date(int(year), 1, 1)
    if part.startswith("Q"):
        return "quarterly", dt.date(int(year), 3 * int(part[1:]) - 2, 1)
    return "monthly", dt.date(int(year), int(part), 1)


async def on_published(
    connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    assert isinstance(event, StatisticsPublished)
    newer = await connection.fetchval(
        CLAIM_REVISION, event.programme_id, event.period, event.revision, event.published_at
    )
    if newer is None:
        return  # an older or the same revision: the stored one stands
    kind, first_day = period_start(event.period)
    figures = event.figures
    await connection.execute(DELETE_PERIOD, event.programme_id, event.period)
    await connection.execute(
        INSERT_FIGURES,
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


def handlers() -> dict[str, Handler]:
    return {StatisticsPublished.event_type: on_published}
