"""Target progress from published statistics (issue 13): the registry keeps the highest
revision of each period's ``submissions.statistics.published`` sums and measures Guizhou's
1000亿 and Qinghai's amounts, growth and share targets from them, overall and per city."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import asyncpg
from fastapi.testclient import TestClient

from registry.consumers import handlers
from shared.events import EventEnvelope, wrap
from shared.events.statistics import PublishedFigure, StatisticsPublished

Auth = Callable[..., dict[str, str]]
GUIZHOU, QINGHAI, QINGDAO = "guizhou-shibaiqianwan-2023", "qinghai-2024-2026", "qingdao-2014"
ROOTS = {GUIZHOU: "520000", QINGHAI: "630000", QINGDAO: "370200"}


def published(
    programme: str, period: str, revision: int, sums: dict[str, dict[str, str]]
) -> StatisticsPublished:
    """``sums``: indicator → region code → value."""
    root = ROOTS[programme]
    return StatisticsPublished(
        publication_key=f"{programme}/{period}",
        programme_id=programme,
        jurisdiction=root,
        period=period,
        revision=revision,
        correction=revision > 1,
        published_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
        changed_regions=sorted({code for by_region in sums.values() for code in by_region}),
        figures=[
            PublishedFigure(
                indicator=indicator,
                region_code=code,
                level="province" if code.endswith("0000") else "city",  # Qingdao: a city
                basis="regional",
                value=value,
                provisional=False,
            )
            for indicator, by_region in sums.items()
            for code, value in by_region.items()
        ],
    )


def deliver(dsn: str, event: StatisticsPublished) -> None:
    async def run() -> None:
        envelope: EventEnvelope = wrap(event, source="/services/submissions")
        connection = await asyncpg.connect(dsn)
        try:
            async with connection.transaction():
                await handlers()[event.event_type](connection, event, envelope)
        finally:
            await connection.close()

    asyncio.run(run())


def target(progress: dict[str, Any], target_id: str) -> dict[str, Any]:
    return next(t for t in progress["targets"] if t["id"] == target_id)


def test_guizhou_online_retail_sums_the_published_months_per_city_keeping_the_latest_revision(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    retail = "online_retail_sales"
    deliver(
        registry_db,
        published(
            GUIZHOU,
            "2025-01",
            1,
            {retail: {"520000": "30000000000.50", "520100": "20000000000.50", "520300": "1e10"}},
        ),
    )
    # The correction (revision 2), then the first revision redelivered late: 2 stands.
    deliver(
        registry_db,
        published(
            GUIZHOU,
            "2025-01",
            2,
            {retail: {"520000": "31000000000.50", "520100": "21000000000.50", "520300": "1e10"}},
        ),
    )
    deliver(
        registry_db,
        published(GUIZHOU, "2025-01", 1, {retail: {"520000": "1", "520100": "1", "520300": "0"}}),
    )
    deliver(
        registry_db,
        published(
            GUIZHOU, "2025-02", 1, {retail: {"520000": "40000000000", "520100": "40000000000"}}
        ),
    )
    progress = registry_api.get(
        f"/v1/programmes/{GUIZHOU}/progress", params={"year": 2025, "by": "city"}, headers=auth()
    ).json()
    sales = target(progress, "online-retail-sales")
    assert sales["measurable"] is True
    assert Decimal(sales["current"]) == Decimal("71000000000.50")
    assert Decimal(sales["share_met"]) == Decimal("0.7100") and sales["met"] is False
    areas = {a["region_code"]: Decimal(a["current"]) for a in sales["by_area"]}
    assert areas["520100"] == Decimal("61000000000.50") and areas["520300"] == Decimal("1e10")
    assert "statistics" in sales["how_measured"]
    # A year with nothing published stays not measurable, never 0.
    other = registry_api.get(
        f"/v1/programmes/{GUIZHOU}/progress", params={"year": 2024}, headers=auth()
    ).json()
    assert target(other, "online-retail-sales")["measurable"] is False


def test_qinghai_growth_and_share_compare_the_same_months_a_year_earlier(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    retail, physical = "online_retail_sales", "physical_goods_online_retail_sales"
    for period, total, goods in (
        ("2024-01", "500000000", "200000000"),
        ("2024-02", "500000000", "200000000"),
        ("2024-03", "999999999", "1"),  # no 2025-03 yet: not compared
        ("2025-01", "560000000", "300000000"),
        ("2025-02", "540000000", "300000000"),
    ):
        deliver(
            registry_db,
            published(QINGHAI, period, 1, {retail: {"630000": total}, physical: {"630000": goods}}),
        )
    progress = registry_api.get(
        f"/v1/programmes/{QINGHAI}/progress",
        params={"year": 2025},
        headers=auth("province_admin", "630000"),
    ).json()
    growth = target(progress, "online-retail-growth-rate")
    assert growth["measurable"] is True and Decimal(growth["current"]) == Decimal("10.0")
    assert growth["met"] is True
    goods_growth = target(progress, "physical-goods-online-retail-growth-rate")
    assert Decimal(goods_growth["current"]) == Decimal("50.0")
    share = target(progress, "physical-goods-share-of-online-retail")
    assert Decimal(share["current"]) == Decimal("54.55") and share["met"] is True
    assert Decimal(target(progress, "online-retail-sales")["current"]) == Decimal("1100000000")


def test_qingdao_transaction_volume_is_the_city_total(
    registry_api: TestClient, registry_db: str, auth: Auth
) -> None:
    volume = "ecommerce_transaction_volume"
    for period, value in (("2019-01", "40000000000"), ("2020-01", "52000000000")):
        deliver(registry_db, published(QINGDAO, period, 1, {volume: {"370200": value}}))
    progress = registry_api.get(
        f"/v1/programmes/{QINGDAO}/progress",
        params={"year": 2020},
        headers=auth("province_admin", "370000"),
    ).json()
    assert Decimal(target(progress, "transaction-volume-2020")["current"]) == Decimal("52000000000")
    assert Decimal(target(progress, "transaction-growth-rate")["current"]) == Decimal("30.0")
    assert target(progress, "transaction-growth-rate")["met"] is True
