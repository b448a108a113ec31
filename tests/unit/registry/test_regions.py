"""GB/T 2260 regions: the shipped data for Guizhou, Qinghai and Qingdao, and the region tree."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import sys
from importlib.resources import files
from pathlib import Path
from types import ModuleType

import pytest

from registry.data.regions import (
    load_country_regions,
    load_shipped_regions,
    parse_regions_csv,
)
from registry.domain.regions import (
    InvalidRegionData,
    Region,
    RegionLevel,
    RegionTree,
    UnknownRegion,
    level_of,
)

PROVINCE, CITY, COUNTY = RegionLevel.province, RegionLevel.city, RegionLevel.county


@pytest.fixture(scope="module")
def tree() -> RegionTree:
    return RegionTree(load_shipped_regions())


@pytest.fixture(scope="module")
def country() -> RegionTree:
    return RegionTree(load_country_regions())


def _codes(regions: list[Region]) -> dict[str, str]:
    return {region.code: region.name for region in regions}


def test_guizhou_has_the_nine_cities_and_prefectures(tree: RegionTree) -> None:
    # DOMAIN.md, "Identifiers"; 004 is addressed to 各市(州)商务局
    assert _codes(tree.children("520000")) == {
        "520100": "贵阳市",
        "520200": "六盘水市",
        "520300": "遵义市",
        "520400": "安顺市",
        "520500": "毕节市",
        "520600": "铜仁市",
        "522300": "黔西南布依族苗族自治州",
        "522600": "黔东南苗族侗族自治州",
        "522700": "黔南布依族苗族自治州",
    }


def test_guizhou_has_88_county_level_divisions(tree: RegionTree) -> None:
    counties = tree.descendants("520000", level=COUNTY)
    assert len(counties) == 88
    assert not any(county.statistical_only for county in counties)
    assert "520203" in _codes(counties)  # 六枝特区, the one 特区


def test_qinghai_has_the_eight_cities_and_prefectures(tree: RegionTree) -> None:
    assert _codes(tree.children("630000")) == {
        "630100": "西宁市",
        "630200": "海东市",
        "632200": "海北藏族自治州",
        "632300": "黄南藏族自治州",
        "632500": "海南藏族自治州",
        "632600": "果洛藏族自治州",
        "632700": "玉树藏族自治州",
        "632800": "海西蒙古族藏族自治州",
    }


XINING_CENTRAL_DISTRICTS = {"630102", "630103", "630104", "630105"}  # 城东 城中 城西 城北


def test_qinghai_county_counts_and_the_41_counties_of_the_action_plan(tree: RegionTree) -> None:
    """000 二（五）17 says "全省41个县"; the code list has 44 county-level divisions.

    GB/T 2260 gives Qinghai 44 county-level divisions: 7 districts (区), 5 county-level cities
    and 32 counties (25 县 + 7 自治县). The statistics office adds 大柴旦行政委员会 (632857), a
    county-level administrative committee without a GB/T 2260 code, making 45 units. Leaving
    out Xining's four purely urban districts (城东, 城中, 城西, 城北) gives exactly 41: the
    county-level areas (县域) with rural hinterland, which is how we read "41个县" - a logistics
    centre in each county for rural e-commerce. The documents do not list them, so this is our
    reconciliation, not a fact stated by 000.
    """
    gb2260 = tree.descendants("630000", level=COUNTY, include_statistical=False)
    assert len(gb2260) == 44
    names = [county.name for county in gb2260]
    assert sum(name.endswith("区") for name in names) == 7
    assert sum(name.endswith("市") for name in names) == 5
    assert sum(name.endswith("自治县") for name in names) == 7
    assert sum(name.endswith("县") and not name.endswith("自治县") for name in names) == 25

    every_unit = tree.descendants("630000", level=COUNTY)
    assert len(every_unit) == 45
    (statistical,) = [unit for unit in every_unit if unit.statistical_only]
    assert (statistical.code, statistical.name) == ("632857", "大柴旦行政委员会")

    county_areas = [unit for unit in every_unit if unit.code not in XINING_CENTRAL_DISTRICTS]
    assert len(county_areas) == 41


def test_qingdao_districts_and_county_level_cities(tree: RegionTree) -> None:
    assert tree.parent_of("370200") == tree.get("370000")
    assert _codes(tree.children("370200")) == {
        "370202": "市南区",
        "370203": "市北区",
        "370211": "黄岛区",
        "370212": "崂山区",
        "370213": "李沧区",
        "370214": "城阳区",
        "370215": "即墨区",
        "370281": "胶州市",
        "370283": "平度市",
        "370285": "莱西市",
    }


def test_shipped_data_is_limited_to_the_three_jurisdictions(tree: RegionTree) -> None:
    for region in tree:
        assert region.code.startswith(("52", "63", "3702")) or region.code == "370000"


def test_retired_codes_the_documents_rely_on(tree: RegionTree) -> None:
    haidong = tree.get("632100")  # 海东地区 until 2013 (DOMAIN.md)
    assert haidong.name == "海东地区" and not haidong.is_current
    assert haidong.valid_to is not None and haidong.valid_to.year == 2013
    assert haidong.successor_code == "630200"
    assert tree.get("630200").valid_from == haidong.valid_to
    jimo = tree.get("370282")  # 即墨市 until 2017
    assert jimo.valid_to is not None and jimo.valid_to.year == 2017
    assert jimo.successor_code == "370215"
    assert tree.current("370282").name == "即墨区"


def test_retired_codes_sit_in_the_tree_and_follow_successors(tree: RegionTree) -> None:
    assert tree.parent_of("632121") == tree.get("632100")
    assert tree.contains("630000", "632121")
    # 平安县 632121 -> 630221 (2013) -> 平安区 630203 (2015)
    assert tree.current("632121").code == "630203"
    assert tree.current("630203").code == "630203"
    # a merger: 四方区 into an existing 市北区, which keeps its unrecorded start
    assert tree.current("370205").code == "370203"
    assert tree.get("370203").valid_from is None
    assert "632100" not in _codes(tree.children("630000"))
    assert "632100" in _codes(tree.children("630000", include_retired=True))
    assert "632121" in _codes(tree.descendants("630000", include_retired=True))


def test_validity_dates(tree: RegionTree) -> None:
    ping_an = tree.get("630221")
    assert ping_an.is_valid_on(dt.date(2014, 1, 1))
    assert not ping_an.is_valid_on(dt.date(2012, 1, 1))
    assert not ping_an.is_valid_on(dt.date(2016, 1, 1))
    assert tree.get("520100").is_valid_on(dt.date(1990, 1, 1))  # start unrecorded


def test_retired_csv_is_built_into_the_shipped_files(tree: RegionTree) -> None:
    text = files("registry.data.regions").joinpath("retired.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert len(rows) >= 2
    for row in rows:
        region = tree.get(row["code"])
        assert (region.name, region.valid_to, region.successor_code) == (
            row["name"],
            dt.date.fromisoformat(row["valid_to"]),
            row["successor_code"],
        )


def test_shipped_file_agrees_with_the_country_file(tree: RegionTree, country: RegionTree) -> None:
    for region in tree:
        assert country.get(region.code) == region


def test_country_file_is_small_and_complete(country: RegionTree) -> None:
    size = len(files("registry.data.regions").joinpath("china.csv").read_bytes())
    assert size < 2 * 1024 * 1024
    current = [region for region in country if region.is_current]
    assert sum(region.level is PROVINCE for region in current) == 31
    assert sum(region.level is CITY for region in current) == 333


def test_municipality_and_province_administered_counties(country: RegionTree) -> None:
    # no 110100 市辖区 placeholder: Beijing's districts hang from the municipality
    assert "110100" not in country
    assert country.parent_of("110101") == country.get("110000")
    assert country.get("110101").level is COUNTY
    # 济源 and 石河子 are county-level units under the province directly
    assert country.parent_of("419001") == country.get("410000")
    assert country.parent_of("659001") == country.get("650000")
    # 东莞 is a city without counties, listed once
    assert country.get("441900").level is CITY
    assert country.children("441900") == []
    # the statistics office's development zones are marked
    assert country.get("130171").statistical_only


def test_level_of_reads_the_code_shape() -> None:
    assert level_of("520000") is PROVINCE
    assert level_of("520100") is CITY
    assert level_of("522300") is CITY
    assert level_of("520102") is COUNTY
    assert level_of("419001") is COUNTY
    with pytest.raises(ValueError, match="6 digits"):
        level_of("5201")
    with pytest.raises(ValueError, match="6 digits"):
        level_of("52010a")


def test_tree_queries(tree: RegionTree) -> None:
    assert tree.parent_of("520000") is None
    assert tree.parent_of("520102") == tree.get("520100")
    assert [r.code for r in tree.ancestors("520102")] == ["520100", "520000"]
    assert tree.ancestors("520000") == []
    assert tree.level_of("522601") is COUNTY
    assert tree.contains("520000", "520102")
    assert tree.contains("520100", "520102")
    assert tree.contains("520102", "520102")  # reflexive
    assert not tree.contains("520102", "520100")
    assert not tree.contains("520300", "520102")
    assert not tree.contains("630000", "520102")
    descendants = tree.descendants("520100")
    assert [r.code for r in descendants] == sorted(r.code for r in descendants)
    assert {r.level for r in descendants} == {COUNTY}
    assert len(tree.descendants("520000", level=CITY)) == 9
    with pytest.raises(UnknownRegion):
        tree.get("999999")
    with pytest.raises(UnknownRegion):
        tree.contains("999999", "520102")
    with pytest.raises(UnknownRegion):
        tree.contains("520000", "999999")


def _region(code: str, parent: str | None, successor: str | None = None) -> Region:
    return Region(
        code=code, name=code, level=level_of(code), parent_code=parent, successor_code=successor
    )


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        ([_region("520000", None), _region("520000", None)], "more than once"),
        ([_region("520102", "520100")], "unknown parent"),
        (
            [_region("520000", None), _region("520100", "520000"), _region("520102", "520103")],
            "unknown parent",
        ),
        ([_region("520000", None), _region("630100", "520000")], "outside its parent"),
        ([_region("520000", "520000")], "cannot have a parent"),
        (
            [_region("520000", None), _region("520100", "520000", successor="520200")],
            "successor",
        ),
        (
            [Region(code="520100", name="x", level=COUNTY, parent_code=None)],
            "denotes city",
        ),
    ],
)
def test_inconsistent_data_is_rejected(regions: list[Region], message: str) -> None:
    with pytest.raises(InvalidRegionData, match=message):
        RegionTree(regions)


def test_parse_regions_csv() -> None:
    text = (
        "# a comment\n"
        "code,name,level,parent_code,valid_from,valid_to,successor_code,statistical_only\n"
        "630000,青海省,province,,,,,false\n"
        "630200,海东市,city,630000,2013-08-01,,,false\n"
        "632100,海东地区,city,630000,,2013-08-01,630200,false\n"
    )
    regions = parse_regions_csv(text)
    assert [r.code for r in regions] == ["630000", "630200", "632100"]
    assert regions[2].successor_code == "630200"
    assert regions[2].valid_to == dt.date(2013, 8, 1)
    assert regions[1].valid_from == dt.date(2013, 8, 1)
    assert RegionTree(regions).current("632100").name == "海东市"


def _build_script() -> ModuleType:
    path = Path(__file__).resolve().parents[3] / "services/registry/scripts/build_regions.py"
    spec = importlib.util.spec_from_file_location("build_regions", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def test_build_script_maps_the_package_layout() -> None:
    build = _build_script()
    provinces = [{"code": "11", "name": "北京市"}, {"code": "44", "name": "广东省"}]
    cities = [
        {"code": "1101", "name": "市辖区", "provinceCode": "11"},
        {"code": "4419", "name": "东莞市", "provinceCode": "44"},
        {"code": "4401", "name": "广州市", "provinceCode": "44"},
    ]
    areas = [
        {"code": "110101", "name": "东城区", "cityCode": "1101", "provinceCode": "11"},
        {"code": "441900", "name": "东莞市", "cityCode": "4419", "provinceCode": "44"},
        {"code": "440171", "name": "某开发区", "cityCode": "4401", "provinceCode": "44"},
    ]
    rows = {row.code: row for row in build.current_rows(provinces, cities, areas)}
    assert set(rows) == {"110000", "440000", "441900", "440100", "110101", "440171"}
    assert rows["110101"].parent_code == "110000"
    assert rows["441900"].level == "city"
    assert rows["440171"].statistical_only == "true"
    retired = build.read_retired(
        "# note\ncode,name,level,parent_code,valid_from,valid_to,successor_code,"
        "successor_is_new,evidence\n"
        "110199,旧区,county,110000,,2010-01-01,110101,true,test\n"
    )
    merged = {row.code: row for row in build.merge(list(rows.values()), retired)}
    assert merged["110101"].valid_from == "2010-01-01"
    assert merged["110199"].successor_code == "110101"
    with pytest.raises(ValueError, match="still in the current list"):
        build.merge(list(rows.values()), [(rows["110101"], False)])
