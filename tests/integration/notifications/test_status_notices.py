"""Status notices routed by the programme file, on the real PostgreSQL: a submitted report waits
for its city bureau's review, a recommended one for the province's, a report the province
returns goes back to the city bureau; the operator hears that its enterprise was designated or
that the designation was revoked."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from shared.china_time import CHINA
from shared.events import EnterpriseRegistered, EventEnvelope, wrap
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
from tests.integration.notifications.support import (
    WINDOW,
    auth,
    count_deliveries,
    handle,
    handle_twice,
    inbox_titles,
)

PROGRAMME = WINDOW.split(".", 1)[0]
REPORT = {
    "report_id": "R-7",
    "window_id": WINDOW,
    "designation_id": "D-7",
    "entity_id": "ENT-7",
    "city_code": "520100",
    "version": 1,
}


def _grant_nanming_enterprise(dsn: str, designation_id: str, enterprise_id: str) -> None:
    """An enterprise of Nanming district (Guiyang) designated, so this service knows it."""
    granted = DesignationGranted(
        designation_id=designation_id,
        programme_id=PROGRAMME,
        category="enterprise",
        entity_type="enterprise",
        entity_id=enterprise_id,
        region_code="520102",
        designated_on=dt.date(2025, 3, 1),
    )
    asyncio.run(handle(dsn, wrap(granted, source="/services/awards")))


def _operator_and_city(
    token_for: Callable[..., str], enterprise_id: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Who hears of that enterprise's designation: its operator and the Guiyang city bureau."""
    operator = auth(token_for, ["operator"], "520102", enterprise_ids=[enterprise_id])
    return operator, auth(token_for, ["city_bureau"], "520100")


def _extension_granted(extension_id: str, designation_id: str) -> EventEnvelope:
    """The province grants ten more days (due at the end of 2025-12-20, Beijing time)."""
    granted = ExtensionGranted(
        extension_id=extension_id,
        window_id=WINDOW,
        designation_id=designation_id,
        decided_by="u-prov",
        new_due_at=dt.datetime(2025, 12, 21, 0, 0, tzinfo=CHINA),
    )
    return wrap(granted, source="/services/submissions")


def test_reviews_waiting_reach_the_city_then_the_province(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    city = auth(token_for, ["city_bureau"], "520100")
    province = auth(token_for, ["province_admin"], "520000")
    submitted = wrap(
        ReportSubmitted(**REPORT, submitted_by="u-op", on_behalf=False, first=True, on_time=True),
        source="/services/submissions",
    )
    asyncio.run(handle(dsn, submitted))
    asyncio.run(handle(dsn, submitted))  # redelivered: nothing twice
    assert inbox_titles(client, city, "R-7") == [f"【待审核】{WINDOW}：D-7 已报送（第 1 版）"]
    assert count_deliveries(dsn, submitted.id) == 1
    assert inbox_titles(client, province, "R-7") == []

    recommended = wrap(
        ReportRecommended(**REPORT, recommended_by="u-city"), source="/services/submissions"
    )
    asyncio.run(handle(dsn, recommended))
    assert inbox_titles(client, province, "R-7") == [
        f"【待审核】{WINDOW}：D-7 经市级推荐（第 1 版）"
    ]

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
    titles = inbox_titles(client, city, "R-7")
    assert titles[0] == f"【省级退回】{WINDOW}：D-7（第 1 版）请复核"
    body = client.get("/v1/inbox", params={"subject_id": "R-7"}, headers=city).json()["items"]
    assert "请复核零售额" in body[0]["body"]
    operator = auth(token_for, ["operator"], "520100", enterprise_ids=["ENT-7"])
    assert inbox_titles(client, operator, "R-7") == []  # the province returned it to the city


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
    assert count_deliveries(dsn, submitted.id) == 0


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
    operator = auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-5"])
    # newest first; a revocation names the category's title (its event carries none)
    assert inbox_titles(client, operator, "D-5") == [
        "【示范资格取消】贵州省电子商务产业发展示范企业",
        "【示范认定】贵州省电子商务示范企业",
    ]
    body = client.get("/v1/inbox", params={"subject_id": "D-5"}, headers=operator).json()
    assert "运营不达标" in body["items"][0]["body"]
    assert count_deliveries(dsn, revoked.id) == 1
    other = auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-4"])
    assert inbox_titles(client, other, "D-5") == []


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
    operator = auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-9"])
    city = auth(token_for, ["city_bureau"], "520100")
    title = "【限期整改】贵州省电子商务产业发展示范企业"
    assert inbox_titles(client, operator, "D-9")[0] == title
    assert inbox_titles(client, city, "D-9") == [title]
    body = client.get("/v1/inbox", params={"subject_id": "D-9"}, headers=city).json()
    assert "年度报告逾期未报" in body["items"][0]["body"]
    assert "2026年6月30日 24:00（北京时间）" in body["items"][0]["body"]
    assert count_deliveries(dsn, warned.id) == 2  # the operator's inbox and the city's

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
    assert (
        inbox_titles(client, operator, "D-9")[0] == "【恢复示范资格】贵州省电子商务产业发展示范企业"
    )
    body = client.get("/v1/inbox", params={"subject_id": "D-9"}, headers=operator).json()
    assert "整改到位" in body["items"][0]["body"] and "2026-06-20" in body["items"][0]["body"]
    assert inbox_titles(client, city, "D-9") == [title]  # the city hears only of the warning

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
    zunyi = auth(token_for, ["city_bureau"], "520300")
    assert inbox_titles(client, zunyi, "D-park-9") == ["【限期整改】贵州省电子商务产业发展示范园区"]
    assert count_deliveries(dsn, park.id) == 1


def test_extensions_reach_the_province_then_the_operator_and_its_city(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    _grant_nanming_enterprise(dsn, "D-6", "ENT-6")
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
    province = auth(token_for, ["province_admin"], "520000")
    assert inbox_titles(client, province, "X-6") == [f"【延期申请】{WINDOW}：D-6"]
    granted = _extension_granted("X-6", "D-6")
    handle_twice(dsn, granted)
    operator, city = _operator_and_city(token_for, "ENT-6")
    for reader, earlier in ((operator, []), (city, [f"【延期申请】{WINDOW}：D-6"])):
        items = client.get("/v1/inbox", params={"subject_id": "X-6"}, headers=reader).json()
        titles = [item["title"] for item in items["items"]]
        assert titles == [f"【延期已批准】{WINDOW}：D-6", *earlier]  # newest first
        assert "2025年12月20日 24:00（北京时间）" in items["items"][0]["body"]
    assert count_deliveries(dsn, granted.id) == 2  # the operator's inbox and the city's, once each

    unknown = _extension_granted("X-0", "D-unknown")
    asyncio.run(handle(dsn, unknown))  # a designation granted before this service listened
    assert count_deliveries(dsn, unknown.id) == 0


def test_a_window_reopened_for_one_reporter_tells_its_operator_and_city(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    _grant_nanming_enterprise(dsn, "D-3", "ENT-3")
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
    handle_twice(dsn, reopened)
    operator, city = _operator_and_city(token_for, "ENT-3")
    for reader in (operator, city):
        items = client.get("/v1/inbox", params={"subject_id": WINDOW}, headers=reader).json()
        mine = [item for item in items["items"] if item["kind"] == "window_reopened"]
        assert [item["title"] for item in mine] == [f"【重新开放报送】{WINDOW}：D-3"]
        assert "2026年1月5日 24:00（北京时间）" in mine[0]["body"]
    assert count_deliveries(dsn, reopened.id) == 2
