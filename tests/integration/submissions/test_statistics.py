"""Statistics monitoring through the API on real PostgreSQL: county, city and enterprise
figures, bad input, city review and province acceptance, the published sums with growth
across a year boundary, the city's own total reconciled, and a correction re-published."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.db.pool import connect
from tests.integration.submissions.conftest import Clock, cst
from tests.support.languages import wholly_chinese, wholly_english

QINGHAI = "qinghai-2024-2026"
XINING, DATONG, HUANGZHONG, HAIDONG = "630100", "630121", "630123", "630200"


def _url(period: str, reporter: str, tail: str = "/versions") -> str:
    return f"/v1/statistics/reports/{QINGHAI}/{period}/{reporter}{tail}"


@pytest.fixture(scope="module")
def bureau(auth: Callable[..., dict[str, str]]) -> Callable[[str], dict[str, str]]:
    def headers(region: str) -> dict[str, str]:
        if region.endswith("0000"):
            return auth("province_admin", region)
        return auth("city_bureau" if region.endswith("00") else "county_bureau", region)

    return headers


def _submit(
    api: TestClient,
    bureau: Any,
    period: str,
    region: str,
    figures: dict[str, Any],
    kind: str | None = None,
) -> Any:
    kind = kind or ("city" if region.endswith("00") else "county")
    return api.post(
        _url(period, region),
        json={"reporter_kind": kind, "region_code": region, "figures": figures},
        headers=bureau(region),
    )


def _accept(api: TestClient, bureau: Any, period: str, reporter: str) -> None:
    city = reporter[:4] + "00"
    recommended = api.post(
        _url(period, reporter, "/city-review"), json={"decision": "recommend"}, headers=bureau(city)
    )
    assert recommended.status_code == 200, recommended.text
    accepted = api.post(
        _url(period, reporter, "/province-review"),
        json={"decision": "accept"},
        headers=bureau("630000"),
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"


def _published(submissions_db: str) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        connection = await connect(submissions_db)
        try:
            rows = await connection.fetch(
                "SELECT payload FROM outbox WHERE event_type = "
                "'submissions.statistics.published.v1' ORDER BY id"
            )
        finally:
            await connection.close()
        return [json.loads(bytes(r["payload"]))["data"] for r in rows]

    return asyncio.run(run())


def test_bad_figures_are_refused_naming_the_field(
    api: TestClient, clock: Clock, bureau: Any
) -> None:
    clock.now = cst(2025, 2, 5, 9)
    response = _submit(
        api,
        bureau,
        "2025-01",
        DATONG,
        {
            "online_retail_sales": "100",
            "physical_goods_online_retail_sales": "101",
            "gdp": "1",
            "rural_online_retail_sales": -1,
            "agricultural_online_retail_sales": 0.5,
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert {e["field"]: e["type"] for e in response.json()["errors"]} == {
        "body.figures.physical_goods_online_retail_sales": "above_total",
        "body.figures.gdp": "unknown_indicator",
        "body.figures.rural_online_retail_sales": "negative",
        "body.figures.agricultural_online_retail_sales": "wrong_type",
    }
    # The detail and each error's message are wholly Chinese, or wholly English on en.
    chinese = response.json()
    assert wholly_chinese(chinese["detail"]), chinese["detail"]
    assert all(wholly_chinese(e["message"]) for e in chinese["errors"]), chinese
    english = _submit(
        api,
        lambda region: {**bureau(region), "Accept-Language": "en"},
        "2025-01",
        DATONG,
        {"gdp": "1", "rural_online_retail_sales": -1},
    ).json()
    assert english["code"] == "invalid_figures"
    assert wholly_english(english["detail"]), english["detail"]
    assert all(wholly_english(e["message"]) for e in english["errors"]), english
    response = _submit(api, bureau, "2025-01", XINING, {"cross_border_trade.9999_export": "1"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.figures.cross_border_trade.9999_export"
    # a county bureau for another county, and a period not over yet
    wrong = api.post(
        _url("2025-01", DATONG),
        headers=bureau(HUANGZHONG),
        json={
            "reporter_kind": "county",
            "region_code": DATONG,
            "figures": {"online_retail_sales": 1},
        },
    )
    assert wrong.status_code in (403, 404)
    early = _submit(api, bureau, "2025-02", DATONG, {"online_retail_sales": "1"})
    assert early.status_code == 409 and early.json()["reason"] == "window_not_open"


def test_sums_growth_reconciliation_and_a_correction(
    api: TestClient,
    clock: Clock,
    bureau: Any,
    submissions_db: str,
    auth: Callable[..., dict[str, str]],
) -> None:
    # a year earlier and the month before (December: across the year boundary)
    clock.now = cst(2024, 2, 5, 9)
    assert _submit(api, bureau, "2024-01", DATONG, {"online_retail_sales": "50"}).status_code == 201
    _accept(api, bureau, "2024-01", DATONG)
    clock.now = cst(2025, 1, 6, 9)
    assert _submit(api, bureau, "2024-12", DATONG, {"online_retail_sales": "80"}).status_code == 201
    _accept(api, bureau, "2024-12", DATONG)

    clock.now = cst(2025, 2, 6, 9)
    made = _submit(
        api,
        bureau,
        "2025-01",
        DATONG,
        {"online_retail_sales": "100", "physical_goods_online_retail_sales": "80"},
    )
    assert made.status_code == 201, made.text
    assert (
        _submit(api, bureau, "2025-01", HUANGZHONG, {"online_retail_sales": "50.50"}).status_code
        == 201
    )
    # Xining's own total and its cross-border trade by customs mode
    assert (
        _submit(
            api,
            bureau,
            "2025-01",
            XINING,
            {
                "online_retail_sales": "160",
                "cross_border_trade.9610_export": "2.50",
            },
        ).status_code
        == 201
    )
    _accept(api, bureau, "2025-01", DATONG)
    _accept(api, bureau, "2025-01", XINING)

    province = api.get(
        "/v1/statistics",
        headers=bureau("630000"),
        params={
            "indicator": "online_retail_sales",
            "period": "2025-01",
            "region": "630000",
            "by": "city",
        },
    )
    assert province.status_code == 200, province.text
    body = province.json()
    top, xining = body["rows"]
    assert (top["region_code"], top["value"], top["provisional"]) == ("630000", "150.50", True)
    assert xining["reconciliation"] == {
        "reported": "160",
        "sum_of_counties": "150.50",
        "difference": "9.50",
    }
    assert body["completeness"]["county"] == {
        "reports": 2,
        "accepted": 1,
        "under_review": 1,
        "expected": 0,  # no roster registered in this module (test_statistics_roster.py)
        "missing": 0,
    }

    counties = api.get(
        "/v1/statistics",
        headers=bureau(XINING),
        params={
            "indicator": "online_retail_sales",
            "period": "2025-01",
            "region": XINING,
            "by": "county",
        },
    )
    datong = next(r for r in counties.json()["rows"] if r["region_code"] == DATONG)
    assert (datong["value"], datong["provisional"]) == ("100", False)
    assert datong["year_on_year"] == "100.0"  # 100 against 50 in January 2024
    assert datong["period_on_period"] == "25.0"  # 100 against 80 in December 2024

    # a correction after publication: the published sums keep the accepted figure meanwhile
    corrected = _submit(
        api,
        bureau,
        "2025-01",
        DATONG,
        {"online_retail_sales": "120", "physical_goods_online_retail_sales": "80"},
    )
    assert corrected.status_code == 201, corrected.text
    during = api.get(
        "/v1/statistics",
        headers=bureau(XINING),
        params={
            "indicator": "online_retail_sales",
            "period": "2025-01",
            "region": DATONG,
            "by": "county",
        },
    )
    assert (during.json()["rows"][0]["value"], during.json()["rows"][0]["provisional"]) == (
        "100",
        True,
    )
    _accept(api, bureau, "2025-01", DATONG)
    after = api.get(
        "/v1/statistics",
        headers=bureau("630000"),
        params={"indicator": "online_retail_sales", "period": "2025-01", "region": "630000"},
    ).json()
    assert after["rows"][0]["value"] == "170.50"

    january = [e for e in _published(submissions_db) if e["period"] == "2025-01"]
    assert [e["revision"] for e in january] == [1, 2, 3]
    assert [e["correction"] for e in january] == [False, False, True]
    assert january[-1]["changed_regions"] == ["630000", XINING, DATONG]
    province_retail = next(
        f
        for f in january[-1]["figures"]
        if (f["indicator"], f["region_code"]) == ("online_retail_sales", "630000")
    )
    assert province_retail["value"] == "170.50"

    share = api.get(
        "/v1/statistics",
        headers=bureau("630000"),
        params={
            "indicator": "physical_goods_share",
            "period": "2025-01",
            "region": XINING,
            "by": "county",
        },
    ).json()
    assert share["aggregation"] == "derived"
    assert share["rows"][0]["value"] == "46.92"  # 80 / 170.50, not a sum of percentages

    cross_border = api.get(
        "/v1/statistics",
        headers=auth("integrator", None),
        params={"indicator": "cross_border_trade", "period": "2025-01", "region": "630000"},
    ).json()
    assert cross_border["rows"][0]["breakdown"] == {"cross_border_trade.9610_export": "2.50"}

    # an operator sees no region's sums
    hidden = api.get(
        "/v1/statistics",
        headers=auth("operator", None),
        params={"indicator": "online_retail_sales", "period": "2025-01", "region": "630000"},
    )
    assert hidden.status_code == 404


def test_the_published_view_shows_a_bureau_only_its_own_regions(
    api: TestClient, bureau: Any, auth: Callable[..., dict[str, str]]
) -> None:
    """The regions a caller may see are shared.auth.scope's (``may_see_region``): the asked
    region, then each row. Uses the figures of January 2025 submitted above."""

    def view(headers: dict[str, str], region: str, by: str) -> Any:
        return api.get(
            "/v1/statistics",
            headers=headers,
            params={
                "indicator": "online_retail_sales",
                "period": "2025-01",
                "region": region,
                "by": by,
            },
        )

    assert view(bureau(XINING), "630000", "city").status_code == 404
    assert view(bureau(DATONG), XINING, "county").status_code == 404
    city = view(bureau(XINING), XINING, "county")
    assert city.status_code == 200, city.text
    assert [r["region_code"] for r in city.json()["rows"]] == [XINING, DATONG, HUANGZHONG]
    county = view(bureau(DATONG), DATONG, "county").json()
    assert [r["region_code"] for r in county["rows"]] == [DATONG]
    assert view(auth("operator", None), DATONG, "county").status_code == 404
    # the province sees every city, the same answer twice (the same ETag)
    first, again = (
        view(bureau("630000"), "630000", "city"),
        view(bureau("630000"), "630000", "city"),
    )
    assert [r["region_code"] for r in first.json()["rows"]] == ["630000", XINING]
    assert first.content == again.content and first.headers["etag"] == again.headers["etag"]
    assert list(first.json()["completeness"]) == sorted(first.json()["completeness"])


def test_the_statistics_report_as_xlsx_with_native_charts(
    api: TestClient, bureau: Any, auth: Callable[..., dict[str, str]]
) -> None:
    import io

    from openpyxl import load_workbook

    response = api.get(
        "/v1/statistics/report.xlsx",
        headers=bureau("630000"),
        params={"programme_id": QINGHAI, "period": "2025-01"},
    )
    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["省级", "市州", "区县", "图表", "月度"]
    cities = workbook["市州"]
    assert cities["B2"].value == "网络零售额（元）"
    assert cities["A3"].value == XINING and cities["A3"].data_type == "s"
    assert str(cities["B3"].value) == "170.5"
    assert len(workbook["图表"]._charts) == 2  # bar by city, line of growth by month
    monthly = workbook["月度"]
    assert [c.value for c in monthly[2]][:1] == ["2025-01"]
    # a city bureau's workbook holds its own rows only
    haidong = load_workbook(
        io.BytesIO(
            api.get(
                "/v1/statistics/report.xlsx",
                headers=bureau(HAIDONG),
                params={"programme_id": QINGHAI, "period": "2025-01"},
            ).content
        )
    )
    assert haidong["市州"].max_row == 2


def test_the_statistics_report_as_a_pdf_and_png_chart_set(api: TestClient, bureau: Any) -> None:
    import io

    from PIL import Image

    params = {"programme_id": QINGHAI, "period": "2025-01"}
    pdf = api.get("/v1/statistics/report.pdf", headers=bureau("630000"), params=params)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf.content.count(b"/Type /Page\n") + pdf.content.count(b"/Type /Page ") == 2
    png = api.get("/v1/statistics/report.png", headers=bureau("630000"), params=params)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(png.content)) as image:
        assert image.format == "PNG" and image.width > image.height > 500
    missing = api.get(
        "/v1/statistics/report.pdf",
        headers=bureau("630000"),
        params={"programme_id": "no-such", "period": "2025-01"},
    )
    assert missing.status_code == 404


def test_an_enterprise_reports_through_its_city_and_a_return_carries_comments(
    api: TestClient, clock: Clock, bureau: Any, auth: Callable[..., dict[str, str]]
) -> None:
    """003 二（四）16: 典型企业 report their own figures; the city reviews them (returning with a
    comment on a named figure), the province accepts; the sum stays monitoring data."""
    clock.now = cst(2025, 2, 6, 9)
    operator = auth("operator", None, enterprise_ids=["ent-qh-7"])
    url = f"/v1/statistics/reports/{QINGHAI}/2025-01/ent-qh-7"
    body = {
        "reporter_kind": "enterprise",
        "region_code": DATONG,
        "figures": {"live_commerce_sales": "12.30", "live_sessions": 40},
    }
    first = api.post(f"{url}/versions", json=body, headers=operator)
    assert first.status_code == 201, first.text
    returned = api.post(
        f"{url}/city-review",
        json={
            "decision": "return",
            "reason": "请核对",
            "field_comments": {"live_sessions": "场次与平台数据不符"},
        },
        headers=bureau(XINING),
    )
    assert returned.status_code == 200 and returned.json()["state"] == "returned_to_reporter"
    seen = api.get(url, headers=operator).json()
    assert seen["steps"][-1]["field_comments"] == {"live_sessions": "场次与平台数据不符"}
    body["figures"]["live_sessions"] = 4
    second = api.post(f"{url}/versions", json=body, headers=operator)
    assert second.status_code == 201 and second.json()["figures"]["live_sessions"] == "4"
    for path, decision, region in (
        ("city-review", "recommend", XINING),
        ("province-review", "accept", "630000"),
    ):
        step = api.post(f"{url}/{path}", json={"decision": decision}, headers=bureau(region))
        assert step.status_code == 200, step.text
    published = api.get(
        "/v1/statistics",
        params={"indicator": "live_commerce_sales", "period": "2025-01", "region": "630000"},
        headers=bureau("630000"),
    ).json()
    assert published["basis"] == "monitored_enterprises"
    assert published["rows"][0]["value"] == "12.30"
    assert published["completeness"]["enterprise"]["accepted"] == 1
