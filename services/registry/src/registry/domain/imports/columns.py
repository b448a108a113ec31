"""The columns of import files and exports: Chinese headers first, English aliases accepted."""

from __future__ import annotations

from enum import StrEnum


class ImportKind(StrEnum):
    enterprises = "enterprises"
    stores = "stores"
    residents = "residents"


# field -> (Chinese header, accepted aliases)
COLUMNS: dict[ImportKind, dict[str, tuple[str, tuple[str, ...]]]] = {
    ImportKind.enterprises: {
        "credit_code": ("统一社会信用代码", ("credit_code",)),
        "name": ("企业名称", ("name",)),
        "region_code": ("所属地区代码", ("region_code", "行政区划代码")),
        "kinds": ("企业类型", ("kinds",)),
        "contact_phone": ("联系电话", ("contact_phone",)),
        "contact_email": ("电子邮箱", ("contact_email",)),
        "established_on": ("成立日期", ("established_on",)),
    },
    ImportKind.stores: {
        "platform": ("平台", ("platform",)),
        "platform_shop_id": ("平台店铺ID", ("platform_shop_id", "店铺ID")),
        "name": ("店铺名称", ("name",)),
        "owner_credit_code": ("所属企业统一社会信用代码", ("owner_credit_code",)),
        "owner_individual": ("个人店主", ("owner_individual",)),
        "region_code": ("所属地区代码", ("region_code", "行政区划代码")),
        "category": ("类目", ("category",)),
        "opened_on": ("开店日期", ("opened_on",)),
        "closed_on": ("关店日期", ("closed_on",)),
    },
    ImportKind.residents: {
        "park_id": ("园区/基地ID", ("park_id",)),
        "credit_code": ("统一社会信用代码", ("credit_code",)),
        "joined_on": ("入驻日期", ("joined_on",)),
        "left_on": ("退出日期", ("left_on",)),
    },
}

REQUIRED: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.enterprises: ("credit_code", "name", "region_code"),
    ImportKind.stores: ("platform", "platform_shop_id", "name", "region_code"),
    ImportKind.residents: ("park_id", "credit_code", "joined_on"),
}


class HeaderError(ValueError):
    pass


def map_headers(kind: ImportKind, headers: list[str]) -> dict[int, str]:
    """Column position -> field; unknown headers are ignored, missing required ones refused."""
    lookup: dict[str, str] = {}
    for field, (chinese, aliases) in COLUMNS[kind].items():
        for header in (chinese, *aliases):
            lookup[header.strip().lower()] = field
    positions = {
        i: lookup[h.strip().lower()]
        for i, h in enumerate(headers)
        if h and h.strip().lower() in lookup
    }
    missing = [COLUMNS[kind][f][0] for f in REQUIRED[kind] if f not in positions.values()]
    if missing:
        raise HeaderError(f"missing columns: {', '.join(missing)}")
    return positions


def header_of(kind: ImportKind, field: str) -> str:
    return COLUMNS[kind][field][0]
