"""The working-day calendar in notifications (docs/calendar.md): a pre-due reminder whose move
to a working day needs a year without a calendar goes out at its point's time and the delivery
ledger says so; once the registry's 2027 reaches this service's table, the same kind of point
moves. From 1 November the province is told, on its usual channels and once, that next year's
calendar is not loaded."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from notifications.handlers.calendar_notice import tell_missing_calendars
from notifications.sender.calendar_watch import CalendarWatch
from shared.china_time import CHINA
from shared.db.pool import create_pool
from shared.events import EventEnvelope, wrap
from shared.events.calendars import CalendarLoaded
from shared.events.submissions import DeadlineApproaching, MissingReporters
from shared.programmes import load_programmes
from shared.working_days import WorkingDayCalendar
from tests.integration.notifications.support import CONTEXT, auth, fetch, handle
from tests.support.polling import until

WINDOW_2027 = "guizhou-shibaiqianwan-2023.annual-report.2027"
DUE_2027 = dt.datetime(2027, 12, 11, 0, 0, tzinfo=CHINA)  # the end of Friday 10 December 2027
NANMING = MissingReporters(region_code="520102", level="county", designation_ids=["E1"])
PROGRAMMES = load_programmes("shared/programmes")
DELIVERY = "SELECT not_before, calendar_missing FROM deliveries WHERE event_id = $1"


def reminder(days_before: int) -> EventEnvelope:
    point_at = DUE_2027 - dt.timedelta(days=days_before)
    event = DeadlineApproaching(
        window_id=WINDOW_2027,
        point=f"before-{days_before}d",
        offset_days=-days_before,
        point_at=point_at,
        due_at=DUE_2027,
        late=False,
        expected=10,
        missing=1,
        missing_by_bureau=[NANMING],
    )
    return wrap(event, source="/services/submissions")


def loaded_2027(version: int) -> EventEnvelope:
    event = CalendarLoaded(
        year=2027,
        version=version,
        holidays=[dt.date(2027, 1, 1), dt.date(2027, 10, 1)],
        workdays=[dt.date(2027, 9, 26)],
        loaded_by="tester",
        loaded_at=dt.datetime(2026, 11, 20, tzinfo=CHINA),
    )
    return wrap(event, source="/services/registry")


def test_a_reminder_in_a_year_without_a_calendar_goes_out_unshifted_and_says_so(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    saturday = reminder(7)  # Saturday 4 December 2027, 00:00
    asyncio.run(handle(dsn, saturday))
    [row] = fetch(dsn, DELIVERY, saturday.id)
    assert row["not_before"] == DUE_2027 - dt.timedelta(days=7)
    assert row["calendar_missing"] == 2027
    province = auth(token_for, ["province_admin"], "520000")
    listed = client.get("/v1/deliveries", params={"event_id": saturday.id}, headers=province)
    assert [item["calendar_missing"] for item in listed.json()["items"]] == [2027]

    # The registry's 2027 reaches this service's table; the next point on a day off moves to
    # the working day before (the point already planned stays as it was sent).
    asyncio.run(handle(dsn, loaded_2027(1)))
    sunday = reminder(6)  # Sunday 5 December 2027 → Friday 3 December, 09:00
    asyncio.run(handle(dsn, sunday))
    [moved] = fetch(dsn, DELIVERY, sunday.id)
    assert moved["not_before"] == dt.datetime(2027, 12, 3, 9, 0, tzinfo=CHINA)
    assert moved["calendar_missing"] is None
    [kept] = fetch(dsn, DELIVERY, saturday.id)
    assert kept["calendar_missing"] == 2027


def test_a_replayed_or_older_calendar_version_changes_nothing(
    service: tuple[TestClient, str],
) -> None:
    _, dsn = service
    newer = loaded_2027(5)
    asyncio.run(handle(dsn, newer))
    asyncio.run(handle(dsn, newer))
    asyncio.run(handle(dsn, loaded_2027(4)))
    [row] = fetch(dsn, "SELECT version FROM calendar_years WHERE year = 2027")
    assert row["version"] == 5


async def _notice_rows(dsn: str) -> list[dict[str, Any]]:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        rows = await pool.fetch(
            "SELECT region_code, role, channel, kind, subject_id, title, body, not_before "
            "FROM deliveries WHERE kind = 'calendar_missing' ORDER BY region_code, channel"
        )
        return [dict(row) for row in rows]
    finally:
        await pool.close()


@pytest.fixture(scope="module")
def qinghai_webhook(service: tuple[TestClient, str], token_for: Callable[..., str]) -> None:
    """Qinghai's province keeps a webhook besides its inbox: its usual channels."""
    client, _ = service
    body = {
        "region_code": "630000",
        "role": "province_admin",
        "name": "青海省商务厅电子商务处",
        "channel": "webhook",
        "address": "http://127.0.0.1:9/hook",
    }
    added = client.post(
        "/v1/recipients", json=body, headers=auth(token_for, ["province_admin"], "630000")
    )
    assert added.status_code == 201, added.text


async def test_from_the_first_of_november_each_province_is_told_once(
    service: tuple[TestClient, str], qinghai_webhook: None
) -> None:
    _, dsn = service
    pool = await create_pool(dsn, min_size=1, max_size=2)
    clock = {"now": dt.datetime(2040, 10, 31, 9, 0, tzinfo=CHINA)}
    # 2040 itself is loaded, so only next year's can be missing.
    await handle(
        dsn,
        wrap(
            CalendarLoaded(
                year=2040,
                version=1,
                holidays=[dt.date(2040, 1, 1)],
                workdays=[],
                loaded_by="tester",
                loaded_at=clock["now"],
            ),
            source="/services/registry",
        ),
    )
    watch = CalendarWatch(
        pool, WorkingDayCalendar(), PROGRAMMES, CONTEXT.links, clock=lambda: clock["now"]
    )
    try:
        assert await watch.check() == []  # 31 October: 2041 is not needed yet
        clock["now"] = dt.datetime(2040, 11, 1, 0, 5, tzinfo=CHINA)
        told = await watch.check()
        assert told == [("370000", 2041), ("520000", 2041), ("630000", 2041)]
        assert await watch.check() == []  # checked again: told already
        clock["now"] = dt.datetime(2040, 12, 1, 9, 0, tzinfo=CHINA)
        assert await watch.check() == []
    finally:
        await pool.close()
    rows = await _notice_rows(dsn)
    assert [(r["region_code"], r["role"], r["channel"]) for r in rows] == [
        ("370000", "province_admin", "inbox"),
        ("520000", "province_admin", "inbox"),
        ("630000", "province_admin", "inbox"),
        ("630000", "province_admin", "webhook"),
    ]
    assert {r["subject_id"] for r in rows} == {"2041"}
    assert "2041年工作日历尚未载入" in rows[0]["title"]
    assert "PUT /v1/calendars/2041" in rows[0]["body"]


async def test_the_running_watch_tells_a_province_once_however_often_it_checks(
    service: tuple[TestClient, str], qinghai_webhook: None
) -> None:
    """The sender's watch, running: a dozen checks, one notice per province; the year the
    province loaded before (2060) is never told, the next (2061) is."""
    _, dsn = service
    pool = await create_pool(dsn, min_size=1, max_size=2)
    at = dt.datetime(2060, 11, 3, 10, 0, tzinfo=CHINA)
    loaded = CalendarLoaded(
        year=2060,
        version=1,
        holidays=[dt.date(2060, 1, 1)],
        workdays=[],
        loaded_by="tester",
        loaded_at=at,
    )
    await handle(dsn, wrap(loaded, source="/services/registry"))
    checks = 0

    def clock() -> dt.datetime:  # read once per check: counts them
        nonlocal checks
        checks += 1
        return at

    watch = CalendarWatch(
        pool, WorkingDayCalendar(), PROGRAMMES, CONTEXT.links, clock=clock, every_seconds=0.02
    )
    stop = asyncio.Event()
    running = asyncio.create_task(watch.run(stop))

    async def a_dozen_checks() -> bool:
        return checks >= 12

    try:
        await until(a_dozen_checks, seconds=30, interval=0.02, message="the watch did not run")
    finally:
        stop.set()
        await running
    assert (
        await tell_missing_calendars(
            pool, WorkingDayCalendar(), PROGRAMMES, now=at, links=CONTEXT.links
        )
        == []
    )
    await pool.close()
    rows = [r for r in await _notice_rows(dsn) if r["subject_id"] in ("2060", "2061")]
    assert [(r["region_code"], r["channel"], r["subject_id"]) for r in rows] == [
        ("370000", "inbox", "2061"),
        ("520000", "inbox", "2061"),
        ("630000", "inbox", "2061"),
        ("630000", "webhook", "2061"),
    ]
