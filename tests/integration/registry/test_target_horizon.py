"""Target progress measures what the documents mean, and says when the targets' horizon passed.

- 004_9c19d9a85d8c1f73.txt 一: Guizhou's targets are 到2025年 (the programme file's period.end);
  asked in December 2026, progress says the horizon passed and answers as the targets stood at
  2025-12-31, not as if 2026 were a year of the programme.
- A past year counts the designations in force at that year's end (004 三(三) 动态管理: a title
  is revoked and may be reinstated), not today's status.
- 000_97a6efa9592fa78d.txt 一(二) "新增电商企业100家以上": enterprises *established* in the period
  (成立日期), not records typed in during it.
- 000 二(五)17 "全省41个县全部建成物流仓储分拨配送中心": met when every county has a centre.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.data.regions import load_shipped_regions
from registry.domain.credit_code import check_character
from registry.domain.regions import RegionLevel, RegionTree
from shared.china_time import CHINA
from tests.integration.registry.test_audit_routes import _fetch
from tests.integration.registry.test_imports import as_csv, upload
from tests.integration.registry.test_targets import GUIZHOU, apply, grant, reinstate, revoke

Auth = Callable[..., dict[str, str]]
QINGHAI = "qinghai-2024-2026"
# Qinghai's 41 counties (000 二(五)17), as tests/unit/registry/test_regions.py reconciles them.
XINING_URBAN = ("630102", "630103", "630104", "630105")


@pytest.fixture(autouse=True)
def december_2026(registry_api: TestClient) -> Iterator[None]:
    registry_api.app.state.clock = lambda: dt.datetime(2026, 12, 6, 10, tzinfo=CHINA)  # type: ignore[attr-defined]
    yield
    del registry_api.app.state.clock  # type: ignore[attr-defined]


def progress(api: TestClient, auth: Auth, programme: str, **params: Any) -> dict[str, Any]:
    headers = auth("province_admin", "630000" if programme == QINGHAI else "520000")
    response = api.get(f"/v1/programmes/{programme}/progress", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def target(result: dict[str, Any], target_id: str) -> dict[str, Any]:
    return next(t for t in result["targets"] if t["id"] == target_id)


def count(value: str | None) -> int:
    return int(Decimal(value or "0"))


def test_a_year_past_the_horizon_is_answered_as_the_targets_stood_at_it(
    registry_api: TestClient, auth: Auth
) -> None:
    now = progress(registry_api, auth, GUIZHOU)
    assert now["year"] == 2026 and now["as_of"] == "2026-12-06"
    assert now["horizon_end"] == "2025-12-31" and now["horizon_passed"] is True
    assert now["measured_through"] == "2025-12-31"
    at_horizon = progress(registry_api, auth, GUIZHOU, year=2025)
    assert at_horizon["horizon_passed"] is False
    assert at_horizon["measured_through"] == "2025-12-31"
    assert [t["current"] for t in now["targets"]] == [t["current"] for t in at_horizon["targets"]]
    earlier = progress(registry_api, auth, GUIZHOU, year=2024)
    assert earlier["horizon_passed"] is False and earlier["measured_through"] == "2024-12-31"
    qinghai = progress(registry_api, auth, QINGHAI)  # to 2026: within its horizon
    assert qinghai["horizon_passed"] is False and qinghai["horizon_end"] == "2026-12-31"
    assert qinghai["measured_through"] == "2026-12-06"


def test_a_past_year_counts_the_designations_in_force_at_its_end(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    def parks(year: int) -> int:
        return count(
            target(progress(registry_api, auth, GUIZHOU, year=year), "designated-parks")["current"]
        )

    before = {year: parks(year) for year in (2024, 2025)}
    revoked_later, granted_later, reinstated = (str(uuid.uuid4()) for _ in range(3))
    asyncio.run(apply(registry_db, grant(revoked_later, "2024-03-01")))
    asyncio.run(apply(registry_db, revoke(revoked_later, "2025-06-01")))  # 运营不达标
    asyncio.run(apply(registry_db, grant(granted_later, "2025-02-01")))
    asyncio.run(apply(registry_db, grant(reinstated, "2024-01-10")))
    asyncio.run(apply(registry_db, revoke(reinstated, "2024-06-01")))
    asyncio.run(apply(registry_db, reinstate(reinstated, "2024-09-01")))
    # end of 2024: the first (not yet revoked) and the reinstated one
    assert parks(2024) == before[2024] + 2
    # end of 2025: the first is revoked; the later grant and the reinstated one hold
    assert parks(2025) == before[2025] + 2
    # a grant arriving late, dated before the revocation, changes neither year
    asyncio.run(apply(registry_db, grant(revoked_later, "2024-03-01")))
    assert (parks(2024), parks(2025)) == (before[2024] + 2, before[2025] + 2)


def _enterprise(api: TestClient, auth: Auth, **fields: Any) -> str:
    code = "91630102" + f"{secrets.randbelow(10**9):09d}"
    body = {
        "credit_code": code + check_character(code),
        "name": f"青海电商企业{uuid.uuid4().hex[:6]}",
        "region_code": "630102",
        **fields,
    }
    response = api.post("/v1/enterprises", json=body, headers=auth("province_admin", "630000"))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_new_enterprises_are_those_established_in_the_period(
    registry_api: TestClient, auth: Auth
) -> None:
    def new() -> int:
        return count(target(progress(registry_api, auth, QINGHAI), "new-enterprises")["current"])

    before = new()
    founded = _enterprise(registry_api, auth, established_on="2025-03-01")
    _enterprise(registry_api, auth, established_on="2010-05-20")  # typed in now, old
    _enterprise(registry_api, auth)  # no 成立日期: not counted as new
    assert new() == before + 1
    shown = registry_api.get(
        f"/v1/enterprises/{founded}", headers=auth("province_admin", "630000")
    ).json()
    assert shown["established_on"] == "2025-03-01"
    how = target(progress(registry_api, auth, QINGHAI), "new-enterprises")["how_measured"]
    assert "established in the period" in how


# When the centres were registered: before the pinned day, as a centre counted "as of" it must
# be. The API stamps a record with the real time, which is after that day from 7 December 2026
# (China time) on.
REGISTERED = dt.datetime(2026, 6, 1, 10, tzinfo=CHINA)


def _centre(api: TestClient, auth: Auth, registry_db: str, region: str) -> None:
    response = api.post(
        "/v1/parks",
        json={
            "kind": "county_logistics_centre",
            "name": f"县级物流仓储分拨配送中心{uuid.uuid4().hex[:6]}",
            "region_code": region,
        },
        headers=auth("province_admin", "630000"),
    )
    assert response.status_code == 201, response.text
    _fetch(
        registry_db,
        "UPDATE parks SET created_at = $2 WHERE id = $1",
        uuid.UUID(response.json()["id"]),
        REGISTERED,
    )


def test_41_counties_all_built_means_every_county_has_a_centre(
    registry_api: TestClient, auth: Auth, registry_db: str
) -> None:
    def centres() -> dict[str, Any]:
        return target(progress(registry_api, auth, QINGHAI, by="city"), "county-logistics-centres")

    for _ in range(41):  # 41 centres, all in 大通县: not 全部建成
        _centre(registry_api, auth, registry_db, "630121")
    _centre(registry_api, auth, registry_db, XINING_URBAN[0])  # not one of the 41 counties
    crowded = centres()
    assert crowded["current"] == "1" and crowded["met"] is False
    assert Decimal(crowded["share_met"]) == Decimal("0.0243")  # 1 of 41, rounded down
    tree = RegionTree(load_shipped_regions())
    every = [
        r.code
        for r in tree.descendants("630000", level=RegionLevel.county)
        if r.code not in XINING_URBAN
    ]
    assert len(every) == 41
    for code in every[:-1]:
        _centre(registry_api, auth, registry_db, code)
    almost = centres()
    assert almost["current"] == "40" and almost["met"] is False
    _centre(registry_api, auth, registry_db, every[-1])
    built = centres()
    assert built["current"] == "41" and built["met"] is True
    areas = {area["region_code"]: count(area["current"]) for area in built["by_area"]}
    assert areas["630100"] == 3  # 西宁: 大通, 湟中, 湟源 (its urban districts are not counties)
    assert sum(areas.values()) == 41


@pytest.mark.usefixtures("running_importer")
def test_an_import_keeps_the_established_date_and_old_enterprises_are_not_new(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    """A bulk import of long-established enterprises is not growth (000 一(二) 新增)."""

    def new() -> int:
        return count(target(progress(registry_api, auth, QINGHAI), "new-enterprises")["current"])

    before = new()
    codes = []
    for _ in range(3):
        first17 = "91630102" + f"{secrets.randbelow(10**9):09d}"
        codes.append(first17 + check_character(first17))
    rows = [["统一社会信用代码", "企业名称", "所属地区代码", "成立日期"]] + [
        [code, f"西宁老字号电商{i}有限公司", "630102", founded]
        for i, (code, founded) in enumerate(
            zip(codes, ("2008-04-01", "2012-09-15", "2024-07-01"), strict=True)
        )
    ]
    job = upload(
        registry_api, lambda: auth("province_admin", "630000"), "enterprises",
        as_csv(rows), "all_or_nothing",
    )  # fmt: skip
    assert job["status"] == "succeeded" and job["loaded_rows"] == 3, job
    assert new() == before + 1  # only the one established in 2024
