"""The working-day calendar's loaded years as every service keeps them: the newest version of
each year in the service's ``calendar_years`` table (shared migration 0005), where its
``WorkingDayCalendar`` (``shared.working_days``) reads it.

The registry publishes each load as ``registry.calendar.loaded`` with the whole year; a
service's consumer subscribes to :data:`TOPICS` with :func:`handlers`. Keeping is idempotent
and ordered by version: an older or repeated version changes nothing, so a redelivery or a late
event never takes a year back.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from shared.events.calendars import CalendarLoaded
from shared.messaging.consumer import Handler, handler_of
from shared.messaging.failures import PoisonMessage
from shared.working_days import InvalidCalendarYear, YearCalendar

TOPICS = (CalendarLoaded.topic,)

# Newer versions only: the WHERE of the update keeps a newer row when an older event arrives.
UPSERT_YEAR = """
INSERT INTO calendar_years AS c (year, version, holidays, workdays, source_document, loaded_by,
                                 loaded_at, applied_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now())
ON CONFLICT (year) DO UPDATE
SET version = EXCLUDED.version, holidays = EXCLUDED.holidays, workdays = EXCLUDED.workdays,
    source_document = EXCLUDED.source_document, loaded_by = EXCLUDED.loaded_by,
    loaded_at = EXCLUDED.loaded_at, applied_at = now()
WHERE c.version < EXCLUDED.version
RETURNING version
"""


async def store_year(
    connection: asyncpg.Connection,
    year: YearCalendar,
    *,
    version: int,
    loaded_by: str,
    loaded_at: dt.datetime,
    source_document: str | None = None,
) -> bool:
    """Keep ``year`` as its version ``version`` unless a newer (or the same) one is kept
    already; whether it was kept."""
    kept = await connection.fetchval(
        UPSERT_YEAR,
        year.year,
        version,
        sorted(year.holidays),
        sorted(year.workdays),
        source_document,
        loaded_by,
        loaded_at,
    )
    return kept is not None


async def apply_loaded(connection: asyncpg.Connection, event: CalendarLoaded) -> bool:
    """A published year, checked with this service's rules before it is kept: one that breaks
    them is dead-lettered with the reason (replay it once the service reads it), never kept
    half-understood."""
    try:
        year = YearCalendar(
            year=event.year, holidays=frozenset(event.holidays), workdays=frozenset(event.workdays)
        )
    except InvalidCalendarYear as exc:
        raise PoisonMessage(f"calendar {event.year} version {event.version}: {exc}") from exc
    return await store_year(
        connection,
        year,
        version=event.version,
        loaded_by=event.loaded_by,
        loaded_at=event.loaded_at,
        source_document=event.source_document,
    )


def handlers() -> dict[str, Handler]:
    """The consumer's handler of loaded calendar years, by event type (``shared.messaging``)."""
    return {CalendarLoaded.event_type: handler_of(CalendarLoaded, apply_loaded)}
