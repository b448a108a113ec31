"""The import template a bureau downloads: the headers on the first sheet (required ones in
bold), and a second sheet 说明 that explains every column and its allowed values."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from registry.domain.imports.columns import COLUMNS, REQUIRED, ImportKind
from registry.domain.vocabulary import PLATFORM_NAMES_ZH, EnterpriseKind

SHEET_TITLES = {
    ImportKind.enterprises: "电商企业",
    ImportKind.stores: "网络店铺",
    ImportKind.residents: "入驻企业",
}
NOTES: dict[str, str] = {
    "credit_code": "18位统一社会信用代码（校验位按 GB 32100 核验）",
    "owner_credit_code": "店铺所属企业的统一社会信用代码（须已登记）；与“个人店主”二选一",
    "owner_individual": "个人开设的店铺填写店主姓名；与所属企业二选一",
    "region_code": "GB/T 2260 行政区划代码（6位，现行有效，且在本单位管辖范围内）",
    "kinds": "可多选，用、分隔：" + "、".join(k.value for k in EnterpriseKind),
    "platform": "可填：" + "、".join(PLATFORM_NAMES_ZH.values()),
    "park_id": "园区/基地的记录ID（在园区/基地详情中可见）",
    "opened_on": "YYYY-MM-DD",
    "established_on": "YYYY-MM-DD（营业执照上的成立日期；不填则不计入规划期内新增企业）",
    "closed_on": "YYYY-MM-DD；填写则按已关闭登记",
    "joined_on": "YYYY-MM-DD",
    "left_on": "YYYY-MM-DD",
}


def template_xlsx(kind: ImportKind) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if sheet is None:
        raise RuntimeError("a new workbook has no active sheet")
    sheet.title = SHEET_TITLES[kind]
    bold = Font(bold=True)
    guide = workbook.create_sheet("说明")
    guide.append(["列名", "是否必填", "说明"])
    for column, (field, (header, _)) in enumerate(COLUMNS[kind].items(), start=1):
        cell = sheet.cell(row=1, column=column, value=header)
        required = field in REQUIRED[kind]
        if required:
            cell.font = bold
        sheet.column_dimensions[cell.column_letter].width = max(14, 2 * len(header) + 4)
        guide.append([header, "必填" if required else "选填", NOTES.get(field, "")])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["C"].width = 80
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
