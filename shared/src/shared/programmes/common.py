"""Building blocks shared by the programme model and its sections: ids, money, units, sources."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field

Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=80)]
RegionCode = Annotated[str, Field(pattern=r"^\d{6}$", description="GB/T 2260 division code")]
Money = Annotated[
    Decimal,
    Field(ge=0, decimal_places=2, description="CNY as Decimal yuan, at most 2 places (fen)"),
]


T = TypeVar("T")


def one_of(items: Iterable[T], wanted: str, key: Callable[[T], str]) -> T:
    """The item of a programme's list whose ``key`` is ``wanted``: ``KeyError`` when none is,
    as a mapping would say, since the lists are kept in the document's order rather than as
    mappings."""
    for item in items:
        if key(item) == wanted:
            return item
    raise KeyError(wanted)


class Frozen(BaseModel):
    """Immutable, and unknown fields are an error: a typo in a file never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRef(Frozen):
    """Where a datum comes from: the seed file, its section, and the words it rests on."""

    file: str = Field(min_length=1, description="seed file name, e.g. 004_9c19d9a85d8c1f73.txt")
    section: str = Field(min_length=1, description="section number and heading in the document")
    quote: str | None = Field(default=None, description="verbatim text from the document")


class Comparison(StrEnum):
    """``at_least``: "…以上", "达…", "至少"; ``more_than``: "突破", "超过"."""

    at_least = "at_least"
    more_than = "more_than"

    def holds(self, actual: Decimal, value: Decimal) -> bool:
        return actual >= value if self is Comparison.at_least else actual > value


class Unit(Enum):
    """``cny`` values are Decimal yuan (at most 2 places, whole fen); ``percent`` is 10 for 10 %.

    ``persons`` counts people (从业人员, 主播) in whole numbers, like ``count``.

    A plain :class:`~enum.Enum` (not ``StrEnum``) because a ``count`` member would shadow
    ``str.count``; compare members, or use ``.value`` for the text.
    """

    count = "count"
    cny = "cny"
    percent = "percent"
    persons = "persons"
    square_metres = "square_metres"


class Indicator(Frozen):
    """A figure a programme asks for, named in both languages with its unit: a report's
    (``report_templates``) or a statistics indicator (``statistics``)."""

    id: Slug
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    unit: Unit


class Metric(StrEnum):
    """What a target counts or measures; one English name per indicator of the documents."""

    # Guizhou 十百千万 (004 一、工作目标; 二(二)4-7)
    designated_parks = "designated_parks"
    designated_live_bases = "designated_live_bases"
    leading_enterprises_and_live_teams = "leading_enterprises_and_live_teams"
    leading_enterprises = "leading_enterprises"
    live_teams = "live_teams"
    best_selling_products = "best_selling_products"
    # online retail and its parts (004 一; 000 一(二), 二(二)8, 二(四)14)
    online_retail_sales = "online_retail_sales"
    online_retail_growth_rate = "online_retail_growth_rate"
    physical_goods_online_retail_growth_rate = "physical_goods_online_retail_growth_rate"
    physical_goods_share_of_online_retail = "physical_goods_share_of_online_retail"
    rural_online_retail_sales = "rural_online_retail_sales"
    agricultural_online_retail_sales = "agricultural_online_retail_sales"
    # Qinghai 2024-2026 (000)
    parks_and_bases = "parks_and_bases"
    live_bases = "live_bases"
    new_enterprises = "new_enterprises"
    new_stores_per_year = "new_stores_per_year"
    stores_total = "stores_total"
    new_workers = "new_workers"
    national_demonstration_enterprises = "national_demonstration_enterprises"
    national_digital_commerce_enterprises = "national_digital_commerce_enterprises"
    enterprises_over_100m = "enterprises_over_100m"
    attracted_platform_enterprises = "attracted_platform_enterprises"
    community_ecommerce_sites = "community_ecommerce_sites"
    cross_border_enterprises = "cross_border_enterprises"
    cross_border_transaction_volume = "cross_border_transaction_volume"
    promotion_events_per_year = "promotion_events_per_year"
    local_brands = "local_brands"
    digital_consumption_centres = "digital_consumption_centres"
    new_service_enterprises_and_stores_per_year = "new_service_enterprises_and_stores_per_year"
    comprehensive_service_enterprises = "comprehensive_service_enterprises"
    leading_logistics_enterprises = "leading_logistics_enterprises"
    county_logistics_centres = "county_logistics_centres"
    # Qingdao 2014 (003 一(二); 二(一)3)
    ecommerce_transaction_volume = "ecommerce_transaction_volume"
    ecommerce_transaction_growth_rate = "ecommerce_transaction_growth_rate"
    key_enterprises = "key_enterprises"
    bulk_commodity_platforms = "bulk_commodity_platforms"
    agricultural_leading_enterprises = "agricultural_leading_enterprises"
    featured_platforms = "featured_platforms"
    sme_ecommerce_adoption_rate = "sme_ecommerce_adoption_rate"
    online_tender_events_per_year = "online_tender_events_per_year"
    # used in qualifiers: what an enterprise must reach to be counted or rewarded
    annual_sales = "annual_sales"
    annual_online_retail_sales = "annual_online_retail_sales"


class Threshold(Frozen):
    """A value to reach, without the figure it is compared with: where a threshold is used, its
    section names that figure (the traffic subsidy's ``basis_indicator``), so the threshold
    cannot claim another one."""

    comparison: Comparison
    value: Decimal = Field(ge=0)
    unit: Unit


class Qualifier(Threshold):
    """What an item must reach to count (e.g. enterprises with ≥ 100 million online retail)."""

    metric: Metric
