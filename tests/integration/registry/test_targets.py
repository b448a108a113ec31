"""Target progress from registry data and designations, and the designation consumer."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import asyncpg
from fastapi.testclient import TestClient

from registry.consumers.designations import handlers
from registry.domain.credit_code import check_character
from shared.events import EventEnvelope, wrap
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
    DesignationWarned,
)
from shared.events.envelope import DomainEvent

Auth = Callable[..., dict[str, str]]
GUIZHOU = "guizhou-shibaiqianwan-2023"


async def apply(dsn: str, event: DomainEvent) -> None:
    envelope: EventEnvelope = wrap(event, source="/services/awards")
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await handlers()[event.event_type](connection, event, envelope)
    finally:
        await connection.close()


def grant(
    entity_id: str, on: str, *, category: str = "park", region: str = "520102"
) -> DesignationGranted:
    return DesignationGranted(
        designation_id=str(uuid.uuid4()),
        programme_id=GUIZHOU,
        category=category,
        entity_type="park",
        entity_id=entity_id,
        region_code=region,
        title="贵州省电子商务产业发展示范园区",
        designated_on=dt.date.fromisoformat(on),
    )


def revoke(entity_id: str, on: str) -> DesignationRevoked:
    return DesignationRevoked(
        designation_id=str(uuid.uuid4()),
        programme_id=GUIZHOU,
        category="park",
        entity_type="park",
        entity_id=entity_id,
        region_code="520102",
        revoked_on=dt.date.fromisoformat(on),
        reason="运营不达标",
    )


async def status_of(dsn: str, entity_id: str) -> str | None:
    connection = await asyncpg.connect(dsn)
    try:
        value = await connection.fetchval(
            "SELECT status FROM demonstration_status WHERE entity_id = $1", uuid.UUID(entity_id)
        )
        return str(value) if value else None
    finally:
        await connection.close()


def test_a_revocation_ends_a_designation_and_a_late_older_grant_does_not_undo_it(
    registry_db: str,
) -> None:
    park = str(uuid.uuid4())
    asyncio.run(apply(registry_db, grant(park, "2024-03-01")))
    assert asyncio.run(status_of(registry_db, park)) == "designated"
    asyncio.run(apply(registry_db, revoke(park, "2025-12-20")))
    assert asyncio.run(status_of(registry_db, park)) == "revoked"
    asyncio.run(apply(registry_db, grant(park, "2024-03-01")))  # redelivered, older
    assert asyncio.run(status_of(registry_db, park)) == "revoked"
    asyncio.run(apply(registry_db, grant(park, "2026-06-01")))  # designated again, later
    assert asyncio.run(status_of(registry_db, park)) == "designated"


def test_a_later_revocation_outlives_a_grant_dated_between_two_revocations(
    registry_db: str,
) -> None:
    park = str(uuid.uuid4())
    asyncio.run(apply(registry_db, revoke(park, "2024-06-01")))
    asyncio.run(apply(registry_db, revoke(park, "2025-12-20")))
    asyncio.run(apply(registry_db, grant(park, "2025-03-01")))  # late, between the two
    assert asyncio.run(status_of(registry_db, park)) == "revoked"


def reinstate(entity_id: str, on: str, *, by: str = "province") -> DesignationReinstated:
    return DesignationReinstated(
        designation_id=str(uuid.uuid4()),
        programme_id=GUIZHOU,
        category="park",
        entity_type="park",
        entity_id=entity_id,
        region_code="520102",
        reinstated_on=dt.date.fromisoformat(on),
        by=by,
        reason="整改到位，省级恢复示范资格",
        reinstated_by="u-province",
    )


def test_a_reinstatement_by_the_province_makes_a_revoked_entity_designated_again(
    registry_db: str,
) -> None:
    park = str(uuid.uuid4())
    asyncio.run(apply(registry_db, grant(park, "2024-03-01")))
    asyncio.run(apply(registry_db, revoke(park, "2025-12-20")))
    reinstated = reinstate(park, "2026-02-01")
    asyncio.run(apply(registry_db, reinstated))
    assert asyncio.run(status_of(registry_db, park)) == "designated"
    asyncio.run(apply(registry_db, reinstated))  # redelivered: the same state
    assert asyncio.run(dates_of(registry_db, park)) == (dt.date(2024, 3, 1), None)
    asyncio.run(apply(registry_db, revoke(park, "2026-09-01")))  # revoked again later
    assert asyncio.run(status_of(registry_db, park)) == "revoked"
    asyncio.run(apply(registry_db, reinstate(park, "2026-05-01")))  # older than that: no effect
    assert asyncio.run(status_of(registry_db, park)) == "revoked"
    # the province may reinstate on the day of the revocation (it follows it on its key)
    asyncio.run(apply(registry_db, reinstate(park, "2026-09-01")))
    assert asyncio.run(status_of(registry_db, park)) == "designated"


def test_a_revocation_dated_before_a_reinstatement_does_not_undo_it(registry_db: str) -> None:
    """Another designation of the same entity and category, revoked earlier, arriving late."""
    park = str(uuid.uuid4())
    asyncio.run(apply(registry_db, grant(park, "2024-03-01")))
    asyncio.run(apply(registry_db, revoke(park, "2025-12-20")))
    asyncio.run(apply(registry_db, reinstate(park, "2026-02-01")))
    asyncio.run(apply(registry_db, revoke(park, "2026-01-10")))  # late, dated before it
    assert asyncio.run(status_of(registry_db, park)) == "designated"
    asyncio.run(apply(registry_db, revoke(park, "2026-02-01")))  # on its day: revoked
    assert asyncio.run(status_of(registry_db, park)) == "revoked"


def test_a_warning_and_a_rectification_leave_a_designated_entity_designated(
    registry_db: str,
) -> None:
    park = str(uuid.uuid4())
    asyncio.run(apply(registry_db, grant(park, "2024-03-01")))
    warned = DesignationWarned(
        designation_id=str(uuid.uuid4()),
        programme_id=GUIZHOU,
        category="park",
        entity_id=park,
        region_code="520102",
        year=2025,
        reason="年度报告逾期未报",
        rectify_by=dt.date(2026, 6, 30),
        legal_basis="黔商发〔2023〕1号 三（三）",
        evidence={"report": "missing"},
    )
    assert warned.event_type not in handlers()  # the registry shows no standing: nothing to do
    asyncio.run(apply(registry_db, reinstate(park, "2026-06-15", by="rectification")))
    assert asyncio.run(status_of(registry_db, park)) == "designated"
    assert asyncio.run(dates_of(registry_db, park)) == (dt.date(2024, 3, 1), None)


def test_a_reinstatement_of_an_entity_never_seen_designates_it_from_that_day(
    registry_db: str,
) -> None:
    park = str(uuid.uuid4())
    asyncio.run(apply(registry_db, reinstate(park, "2026-02-01")))
    assert asyncio.run(status_of(registry_db, park)) == "designated"
    assert asyncio.run(dates_of(registry_db, park)) == (dt.date(2026, 2, 1), None)


async def dates_of(dsn: str, entity_id: str) -> tuple[dt.date | None, dt.date | None]:
    connection = await asyncpg.connect(dsn)
    try:
        row = await connection.fetchrow(
            "SELECT designated_on, revoked_on FROM demonstration_status WHERE entity_id = $1",
            uuid.UUID(entity_id),
        )
        assert row is not None
        return row["designated_on"], row["revoked_on"]
    finally:
        await connection.close()


def target(progress: dict[str, Any], metric: str) -> dict[str, Any]:
    return next(t for t in progress["targets"] if t["metric"] == metric)


def test_progress_counts_designations_and_stores_overall_and_per_city(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    before = registry_api.get(f"/v1/programmes/{GUIZHOU}/progress", headers=auth()).json()
    parks_before = count(target(before, "designated_parks")["current"])
    asyncio.run(apply(registry_db, grant(str(uuid.uuid4()), "2024-05-01", region="520102")))
    asyncio.run(apply(registry_db, grant(str(uuid.uuid4()), "2024-05-01", region="520302")))
    progress = registry_api.get(
        f"/v1/programmes/{GUIZHOU}/progress", params={"by": "city"}, headers=auth()
    ).json()
    parks = target(progress, "designated_parks")
    assert count(parks["current"]) == parks_before + 2
    assert parks["measurable"] is True and parks["met"] is False
    areas = {area["region_code"]: area for area in parks["by_area"]}
    assert areas["520100"]["name"] == "贵阳市" and count(areas["520300"]["current"]) >= 1
    retail = target(progress, "online_retail_sales")
    assert retail["measurable"] is False and retail["current"] is None
    # A city bureau sees only its own city in the breakdown.
    guiyang = registry_api.get(
        f"/v1/programmes/{GUIZHOU}/progress",
        params={"by": "city"},
        headers=auth("city_bureau", "520100"),
    ).json()
    assert {a["region_code"] for a in target(guiyang, "designated_parks")["by_area"]} == {"520100"}


def test_programmes_are_listed_and_read(registry_api: TestClient, auth: Auth) -> None:
    listed = registry_api.get("/v1/programmes", headers=auth()).json()
    assert {p["jurisdiction"] for p in listed} >= {"520000", "630000", "370200"}
    guizhou = registry_api.get(f"/v1/programmes/{GUIZHOU}", headers=auth()).json()
    assert guizhou["document_number"] == "黔商发〔2023〕1号"
    assert registry_api.get("/v1/programmes/nope", headers=auth()).status_code == 404


def count(value: str) -> int:
    """Counts arrive as decimal strings (every value in the API is a Decimal)."""
    return int(Decimal(value))


def test_lists_filter_on_demonstration_status_and_the_statistics_list(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    tag = uuid.uuid4().hex[:6]
    parks = []
    for i in range(2):
        response = registry_api.post(
            "/v1/parks",
            json={"kind": "industrial_park", "name": f"旗标{tag}园区{i}", "region_code": "520102"},
            headers=auth(),
        )
        parks.append(response.json()["id"])
    asyncio.run(apply(registry_db, grant(parks[0], "2025-06-01")))

    def names(path: str, **params: str) -> list[str]:
        response = registry_api.get(path, params={"q": f"旗标{tag}", **params}, headers=auth())
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert names("/v1/parks", designated="true") == [parks[0]]
    assert names("/v1/parks", designated="false") == [parks[1]]
    assert names("/v1/parks", designated="true", programme_id="qinghai-2024-2026") == []
    bad = registry_api.get("/v1/parks", params={"designated": "maybe"}, headers=auth())
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.designated"

    ids = []
    for i in range(2):
        code = "91520102" + f"{secrets.randbelow(10**9):09d}"
        response = registry_api.post(
            "/v1/enterprises",
            json={"credit_code": code + check_character(code), "name": f"旗标{tag}企业{i}",
                  "region_code": "520102"},
            headers=auth(),
        )  # fmt: skip
        ids.append(response.json()["id"])
    put = registry_api.put(
        f"/v1/enterprises/{ids[1]}/statistics-years/2025",
        json={"year": 2025, "in_list": True},
        headers=auth(),
    )
    assert put.status_code == 200, put.text
    assert names("/v1/enterprises", in_statistics_list="true", year="2025") == [ids[1]]
    assert names("/v1/enterprises", in_statistics_list="false", year="2025") == [ids[0]]
    assert names("/v1/enterprises", in_statistics_list="true", year="2024") == []


async def _registered_on(dsn: str, table: str, record_id: str, day: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            f"UPDATE {table} SET created_at = $2::date::timestamptz WHERE id = $1::uuid",
            record_id,
            dt.date.fromisoformat(day),
        )
    finally:
        await connection.close()


def test_a_per_city_target_lists_every_city_and_is_met_only_when_all_are(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    """000 二（一）4: 每个市州至少转型提升一个电子商务园区（基地）."""
    qinghai = auth("province_admin", "630000")
    created = registry_api.post(
        "/v1/parks",
        json={"kind": "industrial_park", "name": "西宁电商产业园", "region_code": "630102"},
        headers=qinghai,
    )
    assert created.status_code == 201, created.text
    # Registered within the programme's period (2024–2026), whatever today is: a park
    # registered after the period does not count towards it.
    asyncio.run(_registered_on(registry_db, "parks", created.json()["id"], "2025-06-01"))
    progress = registry_api.get(
        "/v1/programmes/qinghai-2024-2026/progress", params={"by": "city"}, headers=qinghai
    ).json()
    parks = next(t for t in progress["targets"] if t["id"] == "parks-and-bases-per-city")
    areas = {area["region_code"]: area for area in parks["by_area"]}
    assert {"630100", "630200", "632200", "632300", "632500", "632600", "632700", "632800"} <= set(
        areas
    )
    assert areas["630100"]["met"] is True and areas["632800"]["current"] in ("0", 0)
    assert areas["632800"]["met"] is False
    met = sum(1 for area in areas.values() if area["met"])
    assert parks["met"] is False
    assert Decimal(parks["share_met"]) == (Decimal(met) / len(areas)).quantize(
        Decimal("0.0001"), rounding="ROUND_DOWN"
    )
