"""Export rows: Chinese headers and cell texts (pure)."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

from openpyxl import Workbook, load_workbook
from pydantic import BaseModel

from registry.api.schemas import EnterprisePublic, StorePublic
from registry.bulk.export import columns_of, export_row, headers, xlsx_row
from registry.domain.credit_code import check_character
from registry.domain.imports.columns import ImportKind, map_headers
from registry.domain.imports.validation import FileChecker, RowContext

CODE = "91520102MA6DJ7XX1" + check_character("91520102MA6DJ7XX1")
ANYWHERE = RowContext(region_known=lambda code: True, may_write=lambda code: True)


def test_store_export_has_chinese_headers_and_the_region_name() -> None:
    columns = columns_of(StorePublic)
    assert columns[columns.index("region_code") + 1] == "region_name"
    titles = headers(columns, "stores")
    assert {"平台", "平台店铺ID", "所属地区代码", "所属地区", "开店日期"} <= set(titles)
    assert all(not title.isascii() for title in titles)


def test_store_cells_are_as_a_bureau_reads_them() -> None:
    store = StorePublic(
        id=uuid.uuid4(),
        status="closed",
        version=2,
        created_at=dt.datetime(2025, 12, 31, 16, 30, tzinfo=dt.UTC),
        updated_at=dt.datetime(2025, 12, 31, 16, 30, tzinfo=dt.UTC),
        platform="douyin",
        platform_shop_id="dy-1",
        name="苗绣小店",
        owner_enterprise_id=None,
        owner_individual="吴某",
        region_code="522601",
        category=None,
        opened_on=dt.date(2025, 5, 1),
        closed_on=None,
    )
    columns = columns_of(StorePublic)
    row = dict(zip(columns, export_row(store, columns, lambda code: "凯里市"), strict=True))
    assert row["platform"] == "抖音" and row["status"] == "已关闭"
    assert row["region_name"] == "凯里市" and row["opened_on"] == "2025-05-01"
    assert row["created_at"] == "2026-01-01 00:30:00"  # China time
    assert row["category"] == "" and row["version"] == 2


def _round_trip(kind: ImportKind, record: BaseModel, codes: dict[uuid.UUID, str]) -> Any:
    columns = columns_of(type(record))
    header = headers(columns, kind)
    row = [str(value) for value in export_row(record, columns, lambda code: "南明区", codes)]
    checker = FileChecker(kind, map_headers(kind, header), ANYWHERE)
    return checker.check(2, row)


def test_exported_enterprises_and_stores_carry_the_import_headers_and_import_again() -> None:
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    enterprise = EnterprisePublic(
        id=uuid.uuid4(), status="active", version=1, created_at=now, updated_at=now,
        credit_code=CODE, credit_code_override=False, name="黔货出山有限公司",
        region_code="520102", kinds=["platform", "service"], contact_phone="13800000000",
        contact_email="a@b.cn", established_on=dt.date(2016, 5, 1),
    )  # fmt: skip
    assert "成立日期" in headers(columns_of(EnterprisePublic), ImportKind.enterprises)
    record, errors = _round_trip(ImportKind.enterprises, enterprise, {})
    assert errors == [] and record == {
        "credit_code": CODE, "name": "黔货出山有限公司", "region_code": "520102",
        "kinds": ["platform", "service"], "contact_phone": "13800000000",
        "contact_email": "a@b.cn", "established_on": dt.date(2016, 5, 1),
    }  # fmt: skip
    store = StorePublic(
        id=uuid.uuid4(), status="closed", version=1, created_at=now, updated_at=now,
        platform="jd", platform_shop_id="jd-1", name="黔北好物",
        owner_enterprise_id=enterprise.id, owner_individual=None, region_code="520102",
        category="土特产", opened_on=dt.date(2024, 3, 1), closed_on=dt.date(2025, 3, 1),
    )  # fmt: skip
    titles = headers(columns_of(StorePublic), ImportKind.stores)
    assert {"店铺名称", "开店日期", "关店日期", "所属企业统一社会信用代码"} <= set(titles)
    record, errors = _round_trip(ImportKind.stores, store, {enterprise.id: CODE})
    assert errors == [] and record == {
        "platform": "jd", "platform_shop_id": "jd-1", "name": "黔北好物",
        "owner_credit_code": CODE, "owner_individual": None, "region_code": "520102",
        "category": "土特产", "opened_on": dt.date(2024, 3, 1), "closed_on": dt.date(2025, 3, 1),
    }  # fmt: skip


def test_kinds_not_imported_keep_their_own_headers() -> None:
    assert headers(["name", "opened_on"], "parks") == ["名称", "开业日期"]


def test_xlsx_text_that_looks_like_a_formula_stays_text() -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("s")
    formula = '=HYPERLINK("http://evil.example","点我")'
    sheet.append(xlsx_row(sheet, [formula, "+86 138", 7, "", "plain"]))
    out = io.BytesIO()
    workbook.save(out)
    cells = load_workbook(io.BytesIO(out.getvalue())).worksheets[0][1]
    assert [c.value for c in cells] == [formula, "+86 138", 7, None, "plain"]
    assert [c.data_type for c in cells[:3]] == ["s", "s", "n"]
    assert cells[0].quotePrefix and not cells[4].quotePrefix
