"""Statistics reminders on the real PostgreSQL: each city bureau gets its own missing list of
the period once per clock point (however often the event comes), the province joins the day
after the due time with the whole overdue list, the message names the period and the due time
in Beijing time, and an acknowledged list is not sent again."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from shared.china_time import CHINA
from shared.events import EventEnvelope, wrap
from shared.events.statistics import (
    MissingStatisticsReporters,
    StatisticsDeadlineApproaching,
    StatisticsDeadlinePassed,
)
from tests.integration.notifications.support import fetch, handle

PROGRAMME = "guizhou-shibaiqianwan-2023"
DUE = dt.datetime(2025, 2, 11, 0, 0, tzinfo=CHINA)
GUIYANG = MissingStatisticsReporters(city_code="520100", reporter_ids=["520102", "520100"])
ZUNYI = MissingStatisticsReporters(city_code="520300", reporter_ids=["520302"])


def statistics_event(
    offset_days: int, cities: list[MissingStatisticsReporters], *, period: str = "2025-01"
) -> EventEnvelope:
    kind = StatisticsDeadlinePassed if offset_days >= 0 else StatisticsDeadlineApproaching
    event = kind(
        publication_key=f"{PROGRAMME}/{period}",
        programme_id=PROGRAMME,
        period=period,
        point=f"offset{offset_days}",
        offset_days=offset_days,
        point_at=DUE + dt.timedelta(days=offset_days),
        due_at=DUE,
        late=False,
        expected=100,
        missing=sum(len(c.reporter_ids) for c in cities),
        missing_by_city=cities,
    )
    return wrap(event, source="/services/submissions")


INBOX = (
    "SELECT region_code, role, kind, title, body, payload, not_before FROM deliveries"
    " WHERE event_id = $1 AND channel = 'inbox' ORDER BY region_code"
)


def test_before_the_due_time_each_city_bureau_gets_its_own_list_once(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    envelope = statistics_event(-3, [GUIYANG, ZUNYI])
    asyncio.run(handle(dsn, envelope))
    asyncio.run(handle(dsn, envelope))  # redelivered: nothing more
    rows = fetch(dsn, INBOX, envelope.id)
    assert [(r["region_code"], r["role"], r["payload"]["reporter_ids"]) for r in rows] == [
        ("520100", "city_bureau", ["520100", "520102"]),
        ("520300", "city_bureau", ["520302"]),
    ]
    assert {r["kind"] for r in rows} == {"statistics_reminder"}
    assert "2025年1月" in rows[0]["title"] and "2 个" in rows[0]["title"]
    assert "2025年2月10日 24:00（北京时间）" in rows[0]["body"]
    channels = fetch(
        dsn, "SELECT DISTINCT channel FROM deliveries WHERE event_id = $1", envelope.id
    )
    assert {r["channel"] for r in channels} == {"inbox"}  # no contacts registered for the rest
    token = token_for(roles=["city_bureau"], region_code="520300")
    inbox = client.get("/v1/inbox", headers={"Authorization": f"Bearer {token}"}).json()
    assert [item["title"] for item in inbox["items"]] == [rows[1]["title"]]


def test_after_the_due_time_the_city_then_the_province_get_the_overdue_list(
    service: tuple[TestClient, str],
) -> None:
    _, dsn = service
    at_due = statistics_event(0, [GUIYANG, ZUNYI], period="2025-02")
    next_day = statistics_event(1, [ZUNYI], period="2025-02")
    asyncio.run(handle(dsn, at_due))
    asyncio.run(handle(dsn, next_day))
    assert [(r["region_code"], r["role"], r["kind"]) for r in fetch(dsn, INBOX, at_due.id)] == [
        ("520100", "city_bureau", "statistics_overdue"),
        ("520300", "city_bureau", "statistics_overdue"),
    ]
    later = fetch(dsn, INBOX, next_day.id)
    assert [(r["region_code"], r["role"], r["payload"]["reporter_ids"]) for r in later] == [
        ("520000", "province_admin", ["520302"]),
        ("520300", "city_bureau", ["520302"]),
    ]
    assert "已过 1 天" in later[0]["body"]


def test_an_acknowledged_list_is_not_sent_again_but_a_new_missing_reporter_is(
    service: tuple[TestClient, str],
) -> None:
    client, dsn = service
    first = statistics_event(-3, [ZUNYI], period="2025-03")
    asyncio.run(handle(dsn, first))
    link = fetch(
        dsn,
        "SELECT payload->>'ack_url' AS url FROM deliveries WHERE event_id = $1",
        first.id,
    )[0]["url"]
    assert client.post(link.removeprefix("http://testserver")).status_code == 200
    again = statistics_event(-1, [ZUNYI], period="2025-03")
    asyncio.run(handle(dsn, again))
    assert fetch(dsn, "SELECT 1 FROM deliveries WHERE event_id = $1", again.id) == []
    more = statistics_event(
        0,
        [ZUNYI.model_copy(update={"reporter_ids": ["520302", "520303"]})],
        period="2025-03",
    )
    asyncio.run(handle(dsn, more))
    assert len(fetch(dsn, INBOX, more.id)) == 1
