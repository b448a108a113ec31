"""Exports of filtered lists through the registry's REST API, on real PostgreSQL."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable

from fastapi.testclient import TestClient
from openpyxl import load_workbook

Auth = Callable[..., dict[str, str]]


def make_stores(api: TestClient, auth: Auth, tag: str) -> None:
    for i, region in enumerate(["520102", "520102", "522601"]):
        response = api.post(
            "/v1/stores",
            json={
                "platform": "tmall",
                "platform_shop_id": f"tm-{tag}-{i}",
                "name": f"导出测试{tag}店{i}",
                "owner_individual": "王某",
                "region_code": region,
            },
            headers=auth(),
        )
        assert response.status_code == 201, response.text


def test_csv_export_follows_the_filters_with_chinese_headers(
    registry_api: TestClient, auth: Auth
) -> None:
    tag = secrets.token_hex(3)
    make_stores(registry_api, auth, tag)
    response = registry_api.get(
        "/v1/exports/stores.csv", params={"q": f"导出测试{tag}", "region": "520100"}, headers=auth()
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert {r["平台"] for r in rows} == {"天猫"} and {r["所属地区"] for r in rows} == {"南明区"}


def test_xlsx_export_shows_the_caller_only_its_region(registry_api: TestClient, auth: Auth) -> None:
    tag = secrets.token_hex(3)
    make_stores(registry_api, auth, tag)
    response = registry_api.get(
        "/v1/exports/stores.xlsx",
        params={"q": f"导出测试{tag}"},
        headers=auth("city_bureau", "522600"),
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert "平台店铺ID" in rows[0]
    assert len(rows) == 2 and rows[1][rows[0].index("所属地区代码")] == "522601"


def test_an_unknown_export_is_404(registry_api: TestClient, auth: Auth) -> None:
    response = registry_api.get("/v1/exports/stores.pdf", headers=auth())
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_xlsx_export_writes_a_formula_like_name_as_text(
    registry_api: TestClient, auth: Auth
) -> None:
    tag = secrets.token_hex(3)
    name = f'=HYPERLINK("http://evil.example/{tag}","点我")'
    response = registry_api.post(
        "/v1/stores",
        json={"platform": "jd", "platform_shop_id": f"jd-{tag}", "name": name,
              "owner_individual": "=1+1", "region_code": "520102"},
        headers=auth(),
    )  # fmt: skip
    assert response.status_code == 201, response.text
    exported = registry_api.get(
        "/v1/exports/stores.xlsx", params={"q": "HYPERLINK", "region": "520102"}, headers=auth()
    )
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    (row,) = [
        r for r in sheet.iter_rows(min_row=2) if r[header.index("平台店铺ID")].value == f"jd-{tag}"
    ]
    for column, value in (("店铺名称", name), ("个人店主", "=1+1")):
        cell = row[header.index(column)]
        assert (cell.value, cell.data_type, cell.quotePrefix) == (value, "s", True)
