"""The daily check of the working-day calendar (docs/calendar.md): when a year needed now has no
calendar, each province that runs a programme is told once (``domain.calendar_notice``). The
claim of (province, year) and the notice's deliveries commit together, so however often the
check runs, and however many senders run it, a province hears of a year once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from notifications.db import queries
from notifications.domain.ack_tokens import Links
from notifications.domain.calendar_notice import (
    CHANNELS,
    KIND,
    ROLE,
    notice_event_id,
    provinces_of,
    years_to_tell,
)
from notifications.domain.rendering import TEMPLATES_DIR
from notifications.handlers.common import Pool
from notifications.handlers.ledger import Message, fan_out
from shared.china_time import CHINA
from shared.programmes import Programme
from shared.working_days import WorkingDayCalendar


async def tell_missing_calendars(
    pool: Pool,
    calendar: WorkingDayCalendar,
    programmes: Mapping[str, Programme],
    *,
    now: dt.datetime,
    links: Links,
    templates: Path = TEMPLATES_DIR,
) -> list[tuple[str, int]]:
    """Tell each province of each year needed ``now`` that has no calendar, unless it was told
    already; the (province, year) told by this call."""
    await calendar.refresh(pool)
    years = years_to_tell(now.astimezone(CHINA).date(), calendar.covers)
    told: list[tuple[str, int]] = []
    for province in provinces_of(programmes.values()) if years else []:
        for year in years:
            async with pool.acquire() as connection, connection.transaction():
                if await connection.fetchval(queries.CLAIM_CALENDAR_NOTICE, province, year) is None:
                    continue  # told before
                facts = {"year": year, "province_code": province}
                await fan_out(
                    connection,
                    Message(
                        event_id=notice_event_id(province, year),
                        kind=KIND,
                        region_code=province,
                        role=ROLE,
                        subject_type="calendar_year",
                        subject_id=str(year),
                        context=facts,
                        payload=facts,
                        not_before=now,
                    ),
                    channels=CHANNELS,
                    links=links,
                    now=now,
                    templates=templates,
                )
            told.append((province, year))
    return told
