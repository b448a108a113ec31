"""The registry's closed lists: enterprise kinds, platforms, kinds of park and base.

Unknown values are rejected with the allowed ones, so every service and integrator spells
them one way.
"""

from __future__ import annotations

from enum import StrEnum


class EnterpriseKind(StrEnum):
    """Kinds the documents name (004 二(一)1 平台类、服务类、活动策划类; 二(三)9 跨境; 二(二)6 生产类)."""

    platform = "platform"
    service = "service"
    activity_planning = "activity_planning"
    producer = "producer"
    cross_border = "cross_border"
    retailer = "retailer"
    logistics = "logistics"
    mcn = "mcn"
    other = "other"


class Platform(StrEnum):
    """Platforms a store can be on; ``other`` for the rest (name it in the store's category)."""

    taobao = "taobao"
    tmall = "tmall"
    jd = "jd"
    pinduoduo = "pinduoduo"
    douyin = "douyin"
    kuaishou = "kuaishou"
    wechat_shop = "wechat_shop"
    meituan = "meituan"
    own_site = "own_site"
    other = "other"


PLATFORM_NAMES_ZH: dict[Platform, str] = {
    Platform.taobao: "淘宝",
    Platform.tmall: "天猫",
    Platform.jd: "京东",
    Platform.pinduoduo: "拼多多",
    Platform.douyin: "抖音",
    Platform.kuaishou: "快手",
    Platform.wechat_shop: "微信小店",
    Platform.meituan: "美团",
    Platform.own_site: "自建站",
    Platform.other: "其他",
}


class ParkKind(StrEnum):
    """Parks and bases (004 二(二)4–5; 000 §1)."""

    industrial_park = "industrial_park"  # 电商产业园区
    demonstration_base = "demonstration_base"  # 电商示范基地
    live_base = "live_base"  # 电商直播基地
    community_point = "community_point"  # 社区电商服务点
    county_logistics_centre = "county_logistics_centre"  # 县级物流配送中心


class RecordStatus(StrEnum):
    active = "active"
    closed = "closed"
