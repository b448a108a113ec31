"""The working-day calendar on the registry (docs/calendar.md): a province administration loads a
year the chinesecalendar library lacks, or corrects one it has; the year's rules are checked
(422 naming each broken one); replacing needs the version read (428 without, 412 stale); the
year, its outbox event and its audit record commit together; GET never changes state."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from fastapi.testclient import TestClient

from shared.china_time import CHINA

Auth = Callable[..., dict[str, str]]

# 2027 as the State Council might arrange it: New Year, Spring Festival 6-12 February with
# Sunday 31 January and Saturday 20 February worked.
YEAR_2027 = {
    "holidays": ["2027-01-01", *[f"2027-02-{day:02d}" for day in range(6, 13)]],
    "workdays": ["2027-01-31", "2027-02-20"],
    "source_document": "国务院办公厅关于2027年部分节假日安排的通知",
}


def _fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        connection = await asyncpg.connect(dsn)
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def _state(dsn: str) -> tuple[Any, ...]:
    """Everything a calendar request could change."""
    return (
        [tuple(r) for r in _fetch(dsn, "SELECT * FROM calendar_years ORDER BY year")],
        _fetch(dsn, "SELECT count(*) AS n FROM outbox")[0]["n"],
        _fetch(dsn, "SELECT count(*) AS n FROM audit_log WHERE kind = 'change'")[0]["n"],
    )


def test_a_library_year_reads_as_data_with_version_zero(
    registry_api: TestClient, auth: Auth
) -> None:
    read = registry_api.get("/v1/calendars/2026", headers=auth("city_bureau", "520100"))
    assert read.status_code == 200, read.text
    assert read.headers["ETag"] == '"0"'
    body = read.json()
    assert body["source"] == "library" and body["version"] == 0
    assert "2026-02-14" in body["workdays"] and "2026-02-16" in body["holidays"]
    missing = registry_api.get("/v1/calendars/2071", headers=auth())
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"holidays": []}, [("body.holidays", "no_holidays")]),
        ({"holidays": ["2072-01-01", "2071-12-31"]}, [("body.holidays.1", "date_outside_year")]),
        (
            {"holidays": ["2072-01-01"], "workdays": ["2072-01-01"]},
            [("body.workdays.0", "holiday_and_workday")],
        ),
        (
            # 2072-01-04 is a Monday: not a day a weekend could be worked in exchange for
            {"holidays": ["2072-01-01"], "workdays": ["2072-01-02", "2072-01-04"]},
            [("body.workdays.1", "workday_not_weekend")],
        ),
        (
            {"holidays": [], "workdays": ["2073-01-01"]},
            [("body.holidays", "no_holidays"), ("body.workdays.0", "date_outside_year")],
        ),
    ],
)
def test_a_year_that_breaks_its_rules_is_refused_naming_each_rule(
    registry_api: TestClient,
    auth: Auth,
    registry_db: str,
    body: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    before = _state(registry_db)
    refused = registry_api.put("/v1/calendars/2072", json=body, headers=auth())
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "invalid_calendar_year"
    assert [(e["field"], e["type"]) for e in problem["errors"]] == expected
    assert all(e["message"] for e in problem["errors"])
    english = registry_api.put(
        "/v1/calendars/2072", json=body, headers={**auth(), "Accept-Language": "en"}
    )
    assert english.json()["title"] == "Invalid calendar year"
    assert _state(registry_db) == before


def test_what_is_not_a_date_or_a_year_is_a_validation_failure(
    registry_api: TestClient, auth: Auth
) -> None:
    not_a_date = registry_api.put(
        "/v1/calendars/2072", json={"holidays": ["2072-02-30"]}, headers=auth()
    )
    assert not_a_date.status_code == 422 and not_a_date.json()["code"] == "validation_failed"
    out_of_range = registry_api.put(
        "/v1/calendars/1999", json={"holidays": ["1999-01-01"]}, headers=auth()
    )
    assert out_of_range.status_code == 422


@pytest.mark.parametrize(
    ("role", "region", "extra"),
    [
        ("city_bureau", "520100", {}),
        ("county_bureau", "520102", {}),
        ("integrator", None, {"grants": ["write"]}),
        ("operator", None, {"enterprise_ids": ["e1"]}),
    ],
)
def test_only_a_province_administration_loads_a_year(
    registry_api: TestClient,
    auth: Auth,
    role: str,
    region: str | None,
    extra: dict[str, Any],
) -> None:
    refused = registry_api.put(
        "/v1/calendars/2074", json=YEAR_2027 | {"holidays": ["2074-01-01"], "workdays": []},
        headers=auth(role, region, **extra),
    )  # fmt: skip
    assert refused.status_code == 403, refused.text
    assert registry_api.get("/v1/calendars/2026", headers=auth(role, region, **extra)).is_success


def test_loading_a_year_writes_it_its_event_and_its_audit_record_together(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    loaded = registry_api.put("/v1/calendars/2027", json=YEAR_2027, headers=auth())
    assert loaded.status_code == 200, loaded.text
    assert loaded.headers["ETag"] == '"1"'
    body = loaded.json()
    assert body["source"] == "loaded" and body["version"] == 1
    assert body["holidays"] == YEAR_2027["holidays"] and body["workdays"] == YEAR_2027["workdays"]
    assert body["source_document"] == YEAR_2027["source_document"]
    read = registry_api.get("/v1/calendars/2027", headers=auth("county_bureau", "630102"))
    assert read.json() == body and read.headers["ETag"] == '"1"'

    [row] = _fetch(registry_db, "SELECT xmin::text AS tx, * FROM calendar_years WHERE year = 2027")
    [event] = _fetch(
        registry_db,
        "SELECT xmin::text AS tx, topic, message_key, event_type, payload FROM outbox "
        "WHERE event_type = 'registry.calendar.loaded.v1' AND message_key = '2027'",
    )
    [record] = _fetch(
        registry_db,
        "SELECT xmin::text AS tx, * FROM audit_log WHERE action = 'calendar_year.loaded' "
        "AND resource_id = '2027'",
    )
    assert row["tx"] == event["tx"] == record["tx"]  # one transaction
    assert event["topic"].endswith("registry.calendar")
    data = json.loads(bytes(event["payload"]))["data"]
    assert data["year"] == 2027 and data["version"] == 1
    assert data["holidays"] == YEAR_2027["holidays"] and data["loaded_by"] == "tester"
    assert record["region_code"] == "520000" and record["before"] is None


def test_a_put_replaces_only_the_version_named_by_a_strong_if_match(
    registry_api: TestClient, auth: Auth
) -> None:
    path = "/v1/calendars/2099"
    first, second = {"holidays": ["2099-01-01"]}, {"holidays": ["2099-01-02"]}
    headers = auth()
    read = registry_api.get(path, headers=headers)
    assert read.status_code == 404  # a creation needs no If-Match, and fails with one
    named = registry_api.put(path, json=first, headers={**headers, "If-Match": '"x"'})
    assert named.status_code == 412, named.text
    created = registry_api.put(path, json=first, headers=headers)
    assert created.status_code == 200, created.text
    read = registry_api.get(path, headers=headers)
    assert created.headers["ETag"] == read.headers["ETag"]
    assert read.status_code == 200, read.text
    current = read.headers["ETag"]
    missing = registry_api.put(path, json=second, headers=headers)
    assert missing.status_code == 428, missing.text
    for stale in (f"W/{current}", '"stale"', '"0"'):
        refused = registry_api.put(path, json=second, headers={**headers, "If-Match": stale})
        assert refused.status_code == 412, (stale, refused.text)
        assert refused.headers["ETag"] == current
    replaced = registry_api.put(path, json=second, headers={**headers, "If-Match": current})
    assert replaced.status_code == 200, replaced.text
    after = registry_api.get(path, headers=headers)
    assert after.headers["ETag"] == replaced.headers["ETag"] != current
    assert after.json()["holidays"] == ["2099-01-02"]


def test_correcting_a_library_year_needs_the_librarys_etag_and_then_wins(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    library = registry_api.get("/v1/calendars/2025", headers=auth()).json()
    corrected = {"holidays": [*library["holidays"], "2025-03-03"], "workdays": library["workdays"]}
    missing = registry_api.put("/v1/calendars/2025", json=corrected, headers=auth())
    assert missing.status_code == 428 and missing.json()["current_etag"] == '"0"'
    loaded = registry_api.put(
        "/v1/calendars/2025", json=corrected, headers={**auth(), "If-Match": '"0"'}
    )
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["source"] == "loaded" and loaded.headers["ETag"] == '"1"'
    [record] = _fetch(
        registry_db,
        "SELECT before FROM audit_log WHERE action = 'calendar_year.loaded' "
        "AND resource_id = '2025'",
    )
    assert json.loads(record["before"])["source"] == "library"


def test_the_list_names_every_year_and_those_needed_without_one(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    before = _state(registry_db)
    app: Any = registry_api.app
    app.state.clock = lambda: dt.datetime(2080, 11, 2, 9, 0, tzinfo=CHINA)
    try:
        listing = registry_api.get("/v1/calendars", headers=auth("city_bureau", "520100"))
    finally:
        del app.state.clock
    assert listing.status_code == 200, listing.text
    body = listing.json()
    years = {item["year"]: item for item in body["years"]}
    assert years[2004]["source"] == "library" and years[2026]["version"] == 0
    assert years[2026]["holiday_count"] > 20
    assert body["not_loaded"] == [2080, 2081]
    assert [item["year"] for item in body["years"]] == sorted(years)
    # GET never changes state: not the list, not a year, not a year there is none of
    for path in ("/v1/calendars", "/v1/calendars/2026", "/v1/calendars/2027", "/v1/calendars/2090"):
        registry_api.get(path, headers=auth())
    assert _state(registry_db) == before
