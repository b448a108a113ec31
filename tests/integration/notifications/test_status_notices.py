"""Status notices routed by the programme file, on the real PostgreSQL: a submitted report waits
for its city bureau's review, a recommended one for the province's, a report the province
returns goes back to the city bureau; the operator hears that its enterprise was designated or
that the designation was revoked."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from notifications.api.app import create_app
from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR
from shared.china_time import CHINA
from shared.db.pool import connect
from shared.events import EnterpriseRegistered, wrap
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
    DesignationWarned,
)
from shared.events.submissions import (
    ExtensionGranted,
    ExtensionRequested,
    ReportRecommended,
    ReportReturned,
    ReportSubmitted,
    WindowReopened,
)
from tests.integration.notifications.support import SECRET, WINDOW, handle
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack

PROGRAMME = WINDOW.split(".", 1)[0]
REPORT = {
    "report_id": "R-7",
    "window_id": WINDOW,
    "designation_id": "D-7",
    "entity_id": "ENT-7",
    "city_code": "520100",
    "version": 1,
}


@pytest.fixture(scope="module")
def service(stack: Stack, signing_keys: tuple[str, str]) -> Iterator[tuple[TestClient, str]]:
    dsn = asyncio.run(migrated_database(stack, "notifications", MIGRATIONS_DIR))
    settings = NotificationsSettings(
        environment="test",
        database_url=dsn,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        temporal_target=stack.temporal_target,
        jwt_public_key=signing_keys[1],
        ack_secret=SECRET,
        allow_private_endpoints=True,
    )
    try:
        with TestClient(create_app(settings)) as client:
            yield client, dsn
    finally:
        asyncio.run(drop_database(stack, dsn))


def _auth(
    token_for: Callable[..., str], roles: list[str], region: str, **extra: Any
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(roles=roles, region_code=region, **extra)}"}


def _titles(client: TestClient, headers: dict[str, str], subject_id: str) -> list[str]:
    response = client.get("/v1/inbox", params={"subject_id": subject_id}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def _count(dsn: str, event_id: str) -> int:
    async def run() -> int:
        connection = await connect(dsn)
        try:
            return int(
                await connection.fetchval(
                    "SELECT count(*) FROM deliveries WHERE event_id = $1", event_id
                )
            )
        finally:
            await connection.close()

    return asyncio.run(run())


def test_reviews_waiting_reach_the_city_then_the_province(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    city = _auth(token_for, ["city_bureau"], "520100")
    province = _auth(token_for, ["province_admin"], "520000")
    submitted = wrap(
        ReportSubmitted(**REPORT, submitted_by="u-op", on_behalf=False, first=True, on_time=True),
        source="/services/submissions",
    )
    asyncio.run(handle(dsn, submitted))
    asyncio.run(handle(dsn, submitted))  # redelivered: nothing twice
    assert _titles(client, city, "R-7") == [f"【待审核】{WINDOW}：D-7 已报送（第 1 版）"]
    assert _count(dsn, submitted.id) == 1
    assert _titles(client, province, "R-7") == []

    recommended = wrap(
        ReportRecommended(**REPORT, recommended_by="u-city"), source="/services/submissions"
    )
    asyncio.run(handle(dsn, recommended))
    assert _titles(client, province, "R-7") == [f"【待审核】{WINDOW}：D-7 经市级推荐（第 1 版）"]

    returned = wrap(
        ReportReturned(
            **REPORT,
            returned_by="u-prov",
            by="province",
            to="city_bureau",
            reason="请复核零售额",
        ),
        source="/services/submissions",
    )
    asyncio.run(handle(dsn, returned))
    titles = _titles(client, city, "R-7")
    assert titles[0] == f"【省级退回】{WINDOW}：D-7（第 1 版）请复核"
    body = client.get("/v1/inbox", params={"subject_id": "R-7"}, headers=city).json()["items"]
    assert "请复核零售额" in body[0]["body"]
    operator = _auth(token_for, ["operator"], "520100", enterprise_ids=["ENT-7"])
    assert _titles(client, operator, "R-7") == []  # the province returned it to the city


def test_a_report_entered_by_the_city_itself_does_not_ask_the_city_to_review_it(
    service: tuple[TestClient, str],
) -> None:
    _, dsn = service
    submitted = wrap(
        ReportSubmitted(
            **{**REPORT, "report_id": "R-8"},
            submitted_by="u-city",
            on_behalf=True,
            first=True,
            on_time=True,
        ),
        source="/services/submissions",
    )
    asyncio.run(handle(dsn, submitted))
    assert _count(dsn, submitted.id) == 0


def test_the_operator_hears_its_designation_granted_and_revoked(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    asyncio.run(
        handle(
            dsn,
            wrap(
                EnterpriseRegistered(
                    enterprise_id="ENT-5",
                    credit_code="91520102MA6DX0005X",
                    name="黔味电商",
                    region_code="520102",
                ),
                source="/services/registry",
            ),
        )
    )
    designation = {
        "designation_id": "D-5",
        "programme_id": PROGRAMME,
        "category": "enterprise",
        "entity_type": "enterprise",
        "entity_id": "ENT-5",
        "region_code": "520102",
    }
    granted = wrap(
        DesignationGranted(
            **designation, title="贵州省电子商务示范企业", designated_on=dt.date(2025, 3, 1)
        ),
        source="/services/awards",
    )
    revoked = wrap(
        DesignationRevoked(**designation, revoked_on=dt.date(2026, 3, 1), reason="运营不达标"),
        source="/services/awards",
    )
    asyncio.run(handle(dsn, granted))
    asyncio.run(handle(dsn, revoked))
    asyncio.run(handle(dsn, revoked))
    operator = _auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-5"])
    # newest first; a revocation names the category's title (its event carries none)
    assert _titles(client, operator, "D-5") == [
        "【示范资格取消】贵州省电子商务产业发展示范企业",
        "【示范认定】贵州省电子商务示范企业",
    ]
    body = client.get("/v1/inbox", params={"subject_id": "D-5"}, headers=operator).json()
    assert "运营不达标" in body["items"][0]["body"]
    assert _count(dsn, revoked.id) == 1
    other = _auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-4"])
    assert _titles(client, other, "D-5") == []


def test_a_warning_reaches_the_operator_and_its_city_and_a_reinstatement_the_operator(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    designation = {
        "designation_id": "D-9",
        "programme_id": PROGRAMME,
        "category": "enterprise",
        "entity_type": "enterprise",
        "entity_id": "ENT-9",
        "region_code": "520102",
    }
    granted = DesignationGranted(**designation, designated_on=dt.date(2025, 3, 1))
    asyncio.run(handle(dsn, wrap(granted, source="/services/awards")))
    warned = wrap(
        DesignationWarned(
            **{k: v for k, v in designation.items() if k != "entity_type"},
            year=2025,
            reason="年度报告逾期未报",
            rectify_by=dt.date(2026, 6, 30),
            legal_basis="黔商发〔2023〕1号 三（三）开展日常监管",
            evidence={"report": "missing"},
        ),
        source="/services/awards",
    )
    asyncio.run(handle(dsn, warned))
    asyncio.run(handle(dsn, warned))  # redelivered: nothing twice
    operator = _auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-9"])
    city = _auth(token_for, ["city_bureau"], "520100")
    title = "【限期整改】贵州省电子商务产业发展示范企业"
    assert _titles(client, operator, "D-9")[0] == title
    assert _titles(client, city, "D-9") == [title]
    body = client.get("/v1/inbox", params={"subject_id": "D-9"}, headers=city).json()
    assert "年度报告逾期未报" in body["items"][0]["body"]
    assert "2026年6月30日 24:00（北京时间）" in body["items"][0]["body"]
    assert _count(dsn, warned.id) == 2  # the operator's inbox and the city's

    reinstated = wrap(
        DesignationReinstated(
            **designation,
            reinstated_on=dt.date(2026, 6, 20),
            by="rectification",
            reason="整改到位",
            reinstated_by="awards",
        ),
        source="/services/awards",
    )
    asyncio.run(handle(dsn, reinstated))
    assert _titles(client, operator, "D-9")[0] == "【恢复示范资格】贵州省电子商务产业发展示范企业"
    body = client.get("/v1/inbox", params={"subject_id": "D-9"}, headers=operator).json()
    assert "整改到位" in body["items"][0]["body"] and "2026-06-20" in body["items"][0]["body"]
    assert _titles(client, city, "D-9") == [title]  # the city hears only of the warning

    # A park has no operator in the directory: its city bureau is told, the warning's region
    # and the category's title come from the event (the designation is unknown here).
    park = wrap(
        DesignationWarned(
            designation_id="D-park-9",
            programme_id=PROGRAMME,
            category="park",
            entity_id="PARK-9",
            region_code="520302",
            year=2025,
            reason="交易额低于标准",
            rectify_by=dt.date(2026, 6, 30),
            legal_basis="黔商发〔2023〕1号 三（三）开展日常监管",
            evidence={"transaction_volume": "1"},
        ),
        source="/services/awards",
    )
    asyncio.run(handle(dsn, park))
    zunyi = _auth(token_for, ["city_bureau"], "520300")
    assert _titles(client, zunyi, "D-park-9") == ["【限期整改】贵州省电子商务产业发展示范园区"]
    assert _count(dsn, park.id) == 1


def test_extensions_reach_the_province_then_the_operator_and_its_city(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    asyncio.run(
        handle(
            dsn,
            wrap(
                DesignationGranted(
                    designation_id="D-6",
                    programme_id=PROGRAMME,
                    category="enterprise",
                    entity_type="enterprise",
                    entity_id="ENT-6",
                    region_code="520102",
                    designated_on=dt.date(2025, 3, 1),
                ),
                source="/services/awards",
            ),
        )
    )
    requested = wrap(
        ExtensionRequested(
            extension_id="X-6",
            window_id=WINDOW,
            designation_id="D-6",
            requested_by="u-op",
            reason="系统升级",
        ),
        source="/services/submissions",
    )
    asyncio.run(handle(dsn, requested))
    province = _auth(token_for, ["province_admin"], "520000")
    assert _titles(client, province, "X-6") == [f"【延期申请】{WINDOW}：D-6"]
    granted = wrap(
        ExtensionGranted(
            extension_id="X-6",
            window_id=WINDOW,
            designation_id="D-6",
            decided_by="u-prov",
            new_due_at=dt.datetime(2025, 12, 21, 0, 0, tzinfo=CHINA),
        ),
        source="/services/submissions",
    )
    asyncio.run(handle(dsn, granted))
    asyncio.run(handle(dsn, granted))
    operator = _auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-6"])
    city = _auth(token_for, ["city_bureau"], "520100")
    for reader, earlier in ((operator, []), (city, [f"【延期申请】{WINDOW}：D-6"])):
        items = client.get("/v1/inbox", params={"subject_id": "X-6"}, headers=reader).json()
        titles = [item["title"] for item in items["items"]]
        assert titles == [f"【延期已批准】{WINDOW}：D-6", *earlier]  # newest first
        assert "2025年12月20日 24:00（北京时间）" in items["items"][0]["body"]
    assert _count(dsn, granted.id) == 2  # the operator's inbox and the city's, once each

    unknown = wrap(
        ExtensionGranted(
            extension_id="X-0",
            window_id=WINDOW,
            designation_id="D-unknown",
            decided_by="u-prov",
            new_due_at=dt.datetime(2025, 12, 21, 0, 0, tzinfo=CHINA),
        ),
        source="/services/submissions",
    )
    asyncio.run(handle(dsn, unknown))  # a designation granted before this service listened
    assert _count(dsn, unknown.id) == 0


def test_a_window_reopened_for_one_reporter_tells_its_operator_and_city(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    asyncio.run(
        handle(
            dsn,
            wrap(
                DesignationGranted(
                    designation_id="D-3",
                    programme_id=PROGRAMME,
                    category="enterprise",
                    entity_type="enterprise",
                    entity_id="ENT-3",
                    region_code="520102",
                    designated_on=dt.date(2025, 3, 1),
                ),
                source="/services/awards",
            ),
        )
    )
    reopened = wrap(
        WindowReopened(
            window_id=WINDOW,
            designation_id="D-3",
            reason="系统故障导致未能按时报送",
            ends_at=dt.datetime(2026, 1, 6, 0, 0, tzinfo=CHINA),
            reopened_by="u-prov",
        ),
        source="/services/submissions",
    )
    asyncio.run(handle(dsn, reopened))
    asyncio.run(handle(dsn, reopened))
    operator = _auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-3"])
    city = _auth(token_for, ["city_bureau"], "520100")
    for reader in (operator, city):
        items = client.get("/v1/inbox", params={"subject_id": WINDOW}, headers=reader).json()
        mine = [item for item in items["items"] if item["kind"] == "window_reopened"]
        assert [item["title"] for item in mine] == [f"【重新开放报送】{WINDOW}：D-3"]
        assert "2026年1月5日 24:00（北京时间）" in mine[0]["body"]
    assert _count(dsn, reopened.id) == 2
