"""Export rows: Chinese headers and cell texts (pure)."""

from __future__ import annotations

import datetime as dt
import uuid

from registry.api.schemas import StorePublic
from registry.bulk.export import columns_of, export_row, headers


def test_store_export_has_chinese_headers_and_the_region_name() -> None:
    columns = columns_of(StorePublic)
    assert columns[columns.index("region_code") + 1] == "region_name"
    titles = headers(columns)
    assert {"平台", "平台店铺ID", "所属地区代码", "所属地区", "开业日期"} <= set(titles)
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
