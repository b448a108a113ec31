"""The working-day calendar's watch, run by the ``sender`` role beside its loop (``bootstrap``):
every ``every_seconds`` (an hour by default) it asks whether a year needed now has no calendar
and tells the provinces that were not told yet (``handlers.calendar_notice``). The sender runs
all the time and already holds the pool and the ack links; the check is idempotent per
(province, year), so several sender replicas checking side by side tell a province once.

The clock is injected: what "1 November" is comes from ``clock()``, never from the wall clock
read here, so tests decide the day."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Mapping

import asyncpg

from notifications.domain.ack_tokens import Links
from notifications.handlers.calendar_notice import tell_missing_calendars
from shared.programmes import Programme
from shared.working_days import WorkingDayCalendar

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CalendarWatch:
    def __init__(
        self,
        pool: asyncpg.Pool,
        calendar: WorkingDayCalendar,
        programmes: Mapping[str, Programme],
        links: Links,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        every_seconds: float = 3600.0,
    ) -> None:
        self._pool, self._calendar, self._programmes = pool, calendar, programmes
        self._links, self._clock, self._every = links, clock, every_seconds

    async def check(self) -> list[tuple[str, int]]:
        told = await tell_missing_calendars(
            self._pool, self._calendar, self._programmes, now=self._clock(), links=self._links
        )
        for province, year in told:
            log.warning("province %s told: no working-day calendar for %d", province, year)
        return told

    async def run(self, stop: asyncio.Event) -> None:
        """Check, then again every ``every_seconds``, until ``stop``. A failed check (the
        database away) is logged and made again at the next turn."""
        while not stop.is_set():
            try:
                await self.check()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("working-day calendar check failed: %s", error)
            except Exception:  # the watch must never end the sender
                log.exception("working-day calendar check failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._every)
            except TimeoutError:
                pass
