"""Rows of an export: Chinese column headers and cell texts (pure: no I/O).

Exports carry what the list API shows the same caller (contacts masked where the list masks
them), the region's name beside its code, and platform names in Chinese. Enterprises and stores
are headed as their import files are, and a store names its owner by credit code, so that an
exported sheet imports again as it is.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from pydantic import BaseModel

from registry.domain.imports.columns import COLUMNS, ImportKind
from registry.domain.vocabulary import PLATFORM_NAMES_ZH, Platform
from shared.china_time import CHINA

HEADERS_ZH: dict[str, str] = {
    "id": "记录ID",
    "status": "状态",
    "version": "版本",
    "created_at": "登记时间",
    "updated_at": "更新时间",
    "credit_code": "统一社会信用代码",
    "credit_code_override": "信用代码人工核准",
    "name": "名称",
    "region_code": "所属地区代码",
    "region_name": "所属地区",
    "kinds": "企业类型",
    "contact_phone": "联系电话",
    "contact_email": "电子邮箱",
    "platform": "平台",
    "platform_shop_id": "平台店铺ID",
    "owner_enterprise_id": "所属企业ID",
    "owner_credit_code": "所属企业统一社会信用代码",
    "owner_individual": "个人店主",
    "category": "类目",
    "opened_on": "开业日期",
    "closed_on": "关闭日期",
    "kind": "类型",
    "operator_enterprise_id": "运营企业ID",
    "floor_area_m2": "建筑面积(平方米)",
    "live_rooms": "直播间数量",
    "enterprise_id": "所属企业ID",
    "members": "团队人数",
    "hosts": "主播人数",
    "label": "品牌标识",
    "brand_id": "品牌ID",
}
STATUS_ZH = {"active": "有效", "closed": "已关闭"}
# XLSX sheets hold 1,048,576 rows, the header included.
XLSX_MAX_ROWS = 1_048_575


def columns_of(schema: type[BaseModel]) -> list[str]:
    """The schema's fields, with the region's name after its code and the owner's credit code
    after the owner's id."""
    fields = list(schema.model_fields)
    if "region_code" in fields:
        fields.insert(fields.index("region_code") + 1, "region_name")
    if "owner_enterprise_id" in fields:
        fields.insert(fields.index("owner_enterprise_id") + 1, "owner_credit_code")
    return fields


def headers(columns: list[str], kind: str = "") -> list[str]:
    """Chinese headers; for a kind that is imported too, the import file's own headers."""
    imported = COLUMNS[ImportKind(kind)] if kind in set(ImportKind) else {}
    return [
        imported[column][0] if column in imported else HEADERS_ZH.get(column, column)
        for column in columns
    ]


def cell(column: str, value: Any) -> str | int | Decimal:
    if value is None:
        return ""
    if column == "platform":
        return PLATFORM_NAMES_ZH.get(Platform(value), str(value))
    if column == "status":
        return STATUS_ZH.get(value, value)
    if isinstance(value, dt.datetime):
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v.value if isinstance(v, Enum) else v) for v in value)
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, int | Decimal):
        return value
    return str(value)


def export_row(
    record: BaseModel,
    columns: list[str],
    region_name: Callable[[str], str],
    credit_codes: Mapping[uuid.UUID, str] | None = None,
) -> list[str | int | Decimal]:
    values = record.model_dump()
    if "region_code" in values:
        values["region_name"] = region_name(values["region_code"])
    if values.get("owner_enterprise_id") is not None:
        values["owner_credit_code"] = (credit_codes or {}).get(values["owner_enterprise_id"])
    return [cell(column, values.get(column)) for column in columns]


def xlsx_row(sheet: WriteOnlyWorksheet, row: list[str | int | Decimal]) -> list[Any]:
    """Text as text cells: openpyxl would write a name like ``=HYPERLINK(…)`` as a live formula.
    Quote-prefixed too, so that Excel keeps it text when the cell is edited."""
    cells: list[Any] = []
    for value in row:
        if isinstance(value, str) and value:
            text = WriteOnlyCell(sheet, value)
            text.data_type = "s"
            if value[0] in "=+-@":
                text.quotePrefix = True
            cells.append(text)
        else:
            cells.append(value)
    return cells
