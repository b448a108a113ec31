"""The shipped programme files and the loader's error messages.

Each documented figure is asserted with a comment naming the seed file and line it comes from
(seeds in ``../shared/seeds/``: 004 Guizhou, 000 Qinghai, 003 Qingdao; 003 is one long line 3).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.programmes import (
    Comparison,
    DesignationReward,
    Metric,
    Programme,
    ProgrammeFileError,
    ReviewStep,
    SalesMilestoneReward,
    Scope,
    StatisticsListEntryReward,
    TitleAward,
    TrafficSubsidy,
    Unit,
    load_programme,
    load_programmes,
    parse_programme,
)

ROOT = Path(__file__).resolve().parents[3]
PROGRAMMES = ROOT / "shared" / "programmes"
# A worktree beside the main checkout finds the seeds through SEEDS_DIR.
SEEDS = Path(os.environ.get("SEEDS_DIR") or ROOT.parent / "shared" / "seeds")

GUIZHOU = "guizhou-shibaiqianwan-2023"
QINGHAI = "qinghai-2024-2026"
QINGDAO = "qingdao-2014"
YI = Decimal(100_000_000)  # 亿元
WAN = Decimal(10_000)  # 万元


@pytest.fixture(scope="module")
def programmes() -> dict[str, Programme]:
    return load_programmes(PROGRAMMES)


def test_the_three_documents_are_shipped(programmes: dict[str, Programme]) -> None:
    assert set(programmes) == {GUIZHOU, QINGHAI, QINGDAO}
    for programme_id, programme in programmes.items():
        assert programme.id == programme_id


def test_identities(programmes: dict[str, Programme]) -> None:
    guizhou, qinghai, qingdao = programmes[GUIZHOU], programmes[QINGHAI], programmes[QINGDAO]
    # 004 line 3: 黔商发〔2023〕1号; line 7: 2023年1月6日; line 14: 到2025年
    assert (guizhou.jurisdiction, guizhou.document_number) == ("520000", "黔商发〔2023〕1号")
    assert guizhou.issued_on == dt.date(2023, 1, 6)
    assert guizhou.period.end == dt.date(2025, 12, 31)
    assert guizhou.issuer == "贵州省商务厅"
    # 000 line 3: （2024—2026年）; the text names no issuer or number
    assert qinghai.jurisdiction == "630000"
    assert (qinghai.period.start, qinghai.period.end) == (
        dt.date(2024, 1, 1),
        dt.date(2026, 12, 31),
    )
    assert qinghai.document_number is None
    # 003 line 2: 青商电商字〔2014〕3号; line 3: 到2020年
    assert (qingdao.jurisdiction, qingdao.document_number) == ("370200", "青商电商字〔2014〕3号")
    assert qingdao.period.end == dt.date(2020, 12, 31)


Expected = tuple[str, Metric, Comparison, Decimal, Unit]
COUNT, CNY, PERCENT = Unit.count, Unit.cny, Unit.percent
AT_LEAST, MORE_THAN = Comparison.at_least, Comparison.more_than

GUIZHOU_TARGETS: list[Expected] = [
    # 004 line 14: 培育打造省级电商产业园区10个以上 (again line 21: 示范产业园区10个以上)
    ("designated-parks", Metric.designated_parks, AT_LEAST, Decimal(10), COUNT),
    # 004 line 14: 省级电商直播基地100个以上 (again line 22)
    ("designated-live-bases", Metric.designated_live_bases, AT_LEAST, Decimal(100), COUNT),
    # 004 line 14: 省级电商龙头企业及电商直播团队1000个以上
    (
        "leading-enterprises-and-live-teams",
        Metric.leading_enterprises_and_live_teams,
        AT_LEAST,
        Decimal(1000),
        COUNT,
    ),
    # 004 line 23: 培育电子商务龙头企业500个以上
    ("leading-enterprises", Metric.leading_enterprises, AT_LEAST, Decimal(500), COUNT),
    # 004 line 23: 培育贵州省电子商务团队500个以上
    ("live-teams", Metric.live_teams, AT_LEAST, Decimal(500), COUNT),
    # 004 line 14: 打造电商畅销产品10000个以上 (again line 24)
    ("best-selling-products", Metric.best_selling_products, AT_LEAST, Decimal(10000), COUNT),
    # 004 line 14: 网络零售额达1000亿元以上
    ("online-retail-sales", Metric.online_retail_sales, AT_LEAST, 1000 * YI, CNY),
]

QINGHAI_TARGETS: list[Expected] = [
    # 000 line 10: 转型提升电商园区（基地）10个以上 (again line 16)
    ("parks-and-bases", Metric.parks_and_bases, AT_LEAST, Decimal(10), COUNT),
    # 000 line 10: 新增电商企业100家以上
    ("new-enterprises", Metric.new_enterprises, AT_LEAST, Decimal(100), COUNT),
    # 000 line 10: 年均新增网络店铺1000家以上
    ("new-stores-per-year", Metric.new_stores_per_year, AT_LEAST, Decimal(1000), COUNT),
    # 000 line 10: 新增电商从业人员10000名以上 (line 34: 1万人以上)
    ("new-workers", Metric.new_workers, AT_LEAST, Decimal(10000), COUNT),
    # 000 line 10: 实现网络零售额达100亿元以上 (line 25: 突破100亿元)
    ("online-retail-sales", Metric.online_retail_sales, AT_LEAST, 100 * YI, CNY),
    # 000 line 10: 年均增速达到10%以上
    ("online-retail-growth-rate", Metric.online_retail_growth_rate, AT_LEAST, Decimal(10), PERCENT),
    # 000 line 13: 国家级电子商务示范企业、数字商务示范企业各2家
    (
        "national-demonstration-enterprises",
        Metric.national_demonstration_enterprises,
        AT_LEAST,
        Decimal(2),
        COUNT,
    ),
    (
        "national-digital-commerce-enterprises",
        Metric.national_digital_commerce_enterprises,
        AT_LEAST,
        Decimal(2),
        COUNT,
    ),
    # 000 line 13: 网络零售额亿元以上企业达到5家以上
    ("enterprises-over-100m", Metric.enterprises_over_100m, AT_LEAST, Decimal(5), COUNT),
    # 000 line 14: 到2026年底，全省网上店铺数量突破8万家
    ("stores-total", Metric.stores_total, MORE_THAN, Decimal(80000), COUNT),
    # 000 line 15: 3年内每个市州力争引进1家知名电商企业落地
    (
        "attracted-platform-enterprises-per-city",
        Metric.attracted_platform_enterprises,
        AT_LEAST,
        Decimal(1),
        COUNT,
    ),
    # 000 line 16: 每个市州至少转型提升一个…电子商务园区（基地）
    ("parks-and-bases-per-city", Metric.parks_and_bases, AT_LEAST, Decimal(1), COUNT),
    # 000 line 18: 各市州至少有1家…直播电商基地
    ("live-bases-per-city", Metric.live_bases, AT_LEAST, Decimal(1), COUNT),
    # 000 line 19: 培育打造5个以上社区电商示范点
    ("community-ecommerce-sites", Metric.community_ecommerce_sites, AT_LEAST, Decimal(5), COUNT),
    # 000 line 20: 培育20家以上跨境电商企业
    ("cross-border-enterprises", Metric.cross_border_enterprises, AT_LEAST, Decimal(20), COUNT),
    # 000 line 20: 实现跨境电商交易额达6亿元以上
    (
        "cross-border-transaction-volume",
        Metric.cross_border_transaction_volume,
        AT_LEAST,
        6 * YI,
        CNY,
    ),
    # 000 line 21: 年度农村网络零售额突破30亿元
    ("rural-online-retail-sales", Metric.rural_online_retail_sales, MORE_THAN, 30 * YI, CNY),
    # 000 line 21: 年度农产品网络零售额突破20亿元
    (
        "agricultural-online-retail-sales",
        Metric.agricultural_online_retail_sales,
        MORE_THAN,
        20 * YI,
        CNY,
    ),
    # 000 line 25: 每年开展3-5场网络消费促进和产销对接活动
    ("promotion-events-per-year", Metric.promotion_events_per_year, AT_LEAST, Decimal(3), COUNT),
    # 000 line 26: 培育30个以上本土优质电商品牌
    ("local-brands", Metric.local_brands, AT_LEAST, Decimal(30), COUNT),
    # 000 line 28: 各市州至少形成1个以上…数字化消费体验中心或商业街区
    (
        "digital-consumption-centres-per-city",
        Metric.digital_consumption_centres,
        AT_LEAST,
        Decimal(1),
        COUNT,
    ),
    # 000 line 29: 全省实物商品网络零售额年均增长10%以上
    (
        "physical-goods-online-retail-growth-rate",
        Metric.physical_goods_online_retail_growth_rate,
        AT_LEAST,
        Decimal(10),
        PERCENT,
    ),
    # 000 line 29: 占网络零售额比重超过30%
    (
        "physical-goods-share-of-online-retail",
        Metric.physical_goods_share_of_online_retail,
        MORE_THAN,
        Decimal(30),
        PERCENT,
    ),
    # 000 line 30: 服务型电商企业、网络店铺年均增长共1000家以上
    (
        "new-service-enterprises-and-stores-per-year",
        Metric.new_service_enterprises_and_stores_per_year,
        AT_LEAST,
        Decimal(1000),
        COUNT,
    ),
    # 000 line 32: 力争3年内，引进培育3-5家电商综合服务类企业
    (
        "comprehensive-service-enterprises",
        Metric.comprehensive_service_enterprises,
        AT_LEAST,
        Decimal(3),
        COUNT,
    ),
    # 000 line 33: 力争引进1家头部物流配送企业
    (
        "leading-logistics-enterprises",
        Metric.leading_logistics_enterprises,
        AT_LEAST,
        Decimal(1),
        COUNT,
    ),
    # 000 line 33: 全省41个县全部建成物流仓储分拨配送中心
    ("county-logistics-centres", Metric.county_logistics_centres, AT_LEAST, Decimal(41), COUNT),
]

QINGDAO_TARGETS: list[Expected] = [
    # 003 line 3, 一(二): 力争实现电子商务交易额年均增长30%以上
    (
        "transaction-growth-rate",
        Metric.ecommerce_transaction_growth_rate,
        AT_LEAST,
        Decimal(30),
        PERCENT,
    ),
    # 003 line 3, 一(二): 培育和引进20家电子商务骨干企业
    ("key-enterprises", Metric.key_enterprises, AT_LEAST, Decimal(20), COUNT),
    # 003 line 3, 一(二): 打造3个全国或区域大宗商品电子商务平台
    ("bulk-commodity-platforms", Metric.bulk_commodity_platforms, AT_LEAST, Decimal(3), COUNT),
    # 003 line 3, 一(二): 培育2家年销售额500万元以上的农产品电子商务龙头企业
    (
        "agricultural-leading-enterprises",
        Metric.agricultural_leading_enterprises,
        AT_LEAST,
        Decimal(2),
        COUNT,
    ),
    # 003 line 3, 一(二): 培育5个…特色电子商务平台
    ("featured-platforms", Metric.featured_platforms, AT_LEAST, Decimal(5), COUNT),
    # 003 line 3, 一(二): 中小企业电子商务应用率提升至60%以上
    (
        "sme-ecommerce-adoption-rate",
        Metric.sme_ecommerce_adoption_rate,
        AT_LEAST,
        Decimal(60),
        PERCENT,
    ),
    # 003 line 3, 一(二): 力争在3-5年内，使全市电子商务年交易额达到5000亿元
    ("transaction-volume-5000-yi", Metric.ecommerce_transaction_volume, AT_LEAST, 5000 * YI, CNY),
    # 003 line 3, 一(二): 到2020年，电子商务年交易额突破1万亿元
    ("transaction-volume-2020", Metric.ecommerce_transaction_volume, MORE_THAN, 10000 * YI, CNY),
    # 003 line 3, 二(一)3: 每年举行两次集团消费“阳光食品工程”网络招投标会
    (
        "online-tender-events-per-year",
        Metric.online_tender_events_per_year,
        AT_LEAST,
        Decimal(2),
        COUNT,
    ),
]


@pytest.mark.parametrize(
    ("programme_id", "expected"),
    [(GUIZHOU, GUIZHOU_TARGETS), (QINGHAI, QINGHAI_TARGETS), (QINGDAO, QINGDAO_TARGETS)],
)
def test_every_documented_target(
    programmes: dict[str, Programme], programme_id: str, expected: list[Expected]
) -> None:
    programme = programmes[programme_id]
    assert [target.id for target in programme.targets] == [row[0] for row in expected]
    for target_id, metric, comparison, value, unit in expected:
        target = programme.target(target_id)
        assert (target.metric, target.comparison, target.value, target.unit) == (
            metric,
            comparison,
            value,
            unit,
        ), target_id


def test_target_details(programmes: dict[str, Programme]) -> None:
    guizhou, qinghai, qingdao = programmes[GUIZHOU], programmes[QINGHAI], programmes[QINGDAO]
    assert all(target.by == dt.date(2025, 12, 31) for target in guizhou.targets)  # 004 line 14
    assert all(target.by == dt.date(2026, 12, 31) for target in qinghai.targets)  # 000 line 10
    per_year = {target.id for target in qinghai.targets if target.per_year}
    assert per_year == {  # 年均 / 每年 (000 lines 10, 25, 29, 30)
        "new-stores-per-year",
        "online-retail-growth-rate",
        "promotion-events-per-year",
        "physical-goods-online-retail-growth-rate",
        "new-service-enterprises-and-stores-per-year",
    }
    per_city = {target.id for target in qinghai.targets if target.scope is Scope.per_city}
    assert per_city == {  # 每个市州 / 各市州 (000 lines 15, 16, 18, 28)
        "attracted-platform-enterprises-per-city",
        "parks-and-bases-per-city",
        "live-bases-per-city",
        "digital-consumption-centres-per-city",
    }
    assert qinghai.target("promotion-events-per-year").value_max == 5  # 3-5场 (000 line 25)
    assert qinghai.target("comprehensive-service-enterprises").value_max == 5  # 3-5家 (line 32)
    over_100m = qinghai.target("enterprises-over-100m").qualifier
    assert over_100m is not None and over_100m.value == YI  # 亿元以上 (000 line 13)
    agricultural = qingdao.target("agricultural-leading-enterprises").qualifier
    assert agricultural is not None and agricultural.value == 500 * WAN  # 500万元 (003 line 3)
    assert qingdao.target("transaction-volume-2020").by == dt.date(2020, 12, 31)
    assert qingdao.target("key-enterprises").by is None  # no date in 003
    assert all(target.per_year for target in qingdao.targets if target.id.endswith("per-year"))


def test_target_comparison_semantics(programmes: dict[str, Programme]) -> None:
    stores = programmes[QINGHAI].target("stores-total")  # 突破8万家: strictly more
    assert not stores.is_met_by(Decimal(80000))
    assert stores.is_met_by(Decimal(80001))
    parks = programmes[GUIZHOU].target("designated-parks")  # 10个以上: 10 counts
    assert parks.is_met_by(Decimal(10))


def test_guizhou_categories_and_titles(programmes: dict[str, Programme]) -> None:
    guizhou = programmes[GUIZHOU]
    # 004 line 36: 电商产业示范园区、电商示范(直播)基地、电商示范企业、电商直播示范团队4类
    # 004 line 44: the titles granted
    assert [(c.id, c.name, c.title) for c in guizhou.demonstration_categories] == [
        ("park", "电商产业示范园区", "贵州省电子商务产业发展示范园区"),
        ("base", "电商示范(直播)基地", "贵州省电子商务直播示范基地"),
        ("enterprise", "电商示范企业", "贵州省电子商务产业发展示范企业"),
        ("team", "电商直播示范团队", "贵州省电子商务直播示范团队"),
    ]
    rounds = guizhou.application_rounds
    assert rounds is not None
    assert (rounds.first_year, rounds.rounds_per_year) == (2023, 1)  # 004 line 36
    assert rounds.review_steps == (  # 004 lines 36-37: 汇总审核推荐; 资料审核、实地考察、组织评审
        ReviewStep.city_recommendation,
        ReviewStep.document_review,
        ReviewStep.site_visit,
        ReviewStep.expert_evaluation,
    )


def test_guizhou_rewards(programmes: dict[str, Programme]) -> None:
    rewards = {reward.id: reward for reward in programmes[GUIZHOU].rewards}
    # 004 line 45: 不超过300万元、50万元、5万元、5万元的一次性奖励
    caps = {
        reward.category: reward.max_amount
        for reward in rewards.values()
        if isinstance(reward, DesignationReward)
    }
    assert caps == {"park": 300 * WAN, "base": 50 * WAN, "enterprise": 5 * WAN, "team": 5 * WAN}
    # 004 line 46: 年销售额达50亿元、10亿元的一次性分别给予不超过300万、100万奖励
    milestones = sorted(
        (reward.threshold, reward.max_amount)
        for reward in rewards.values()
        if isinstance(reward, SalesMilestoneReward)
    )
    assert milestones == [(10 * YI, 100 * WAN), (50 * YI, 300 * WAN)]
    # 004 line 46: 亿元以上…上规入统…不含跨境电商…每实现1万元最高给予5元…每家企业最高…100万元
    subsidy = rewards["traffic-subsidy"]
    assert isinstance(subsidy, TrafficSubsidy)
    assert (subsidy.amount_per_unit, subsidy.unit_amount) == (Decimal(5), WAN)
    assert subsidy.eligibility.value == YI
    assert subsidy.eligibility.comparison is Comparison.at_least
    assert subsidy.cap_per_enterprise == 100 * WAN
    assert subsidy.requires_statistics_listing and subsidy.excludes_cross_border


def test_guizhou_reporting_window_closes_at_midnight_cst(programmes: dict[str, Programme]) -> None:
    (window,) = programmes[GUIZHOU].reporting_windows
    # 004 line 39: 于每年12月10日向省商务厅报送; on time before 00:00 11 December CST
    assert window.due_date(2024) == dt.date(2024, 12, 10)
    closes = window.closes_at(2024)
    assert closes == dt.datetime(2024, 12, 10, 16, 0, tzinfo=dt.UTC)
    assert closes.utcoffset() == dt.timedelta(hours=8)
    assert set(window.reporters) == {"park", "base", "enterprise", "team"}


def test_guizhou_evaluation_and_revocation(programmes: dict[str, Programme]) -> None:
    guizhou = programmes[GUIZHOU]
    assert guizhou.evaluation is not None and guizhou.revocation is not None
    annexes = {s.category: s.annex for s in guizhou.evaluation.indicator_systems}
    # 004 lines 55-57; the team category has no indicator annex (its defaults name none)
    assert annexes == {"park": "附件3", "base": "附件4", "enterprise": "附件5", "team": None}
    assert not any(s.available for s in guizhou.evaluation.indicator_systems)
    assert "运营不达标取消示范项目资格" in guizhou.revocation.rule  # 004 line 39


def test_qinghai_rewards(programmes: dict[str, Programme]) -> None:
    rewards = programmes[QINGHAI].rewards
    # 000 line 13: 国家级数字商务示范企业，电子商务示范企业，国家级、省级电子商务示范基地
    designations = [r.designation for r in rewards if isinstance(r, DesignationReward)]
    assert designations == [
        "国家级数字商务示范企业",
        "电子商务示范企业",
        "国家级电子商务示范基地",
        "省级电子商务示范基地",
    ]
    # amounts are left to the yearly application guide (000 line 38, 三（二）)
    assert all(r.max_amount is None for r in rewards if isinstance(r, DesignationReward))
    assert any(isinstance(r, StatisticsListEntryReward) for r in rewards)  # 新纳入限额以上
    (title,) = [r for r in rewards if isinstance(r, TitleAward)]
    assert title.title == "电子商务发展优秀企业"  # 000 line 13: 年网络零售额达到1亿元以上
    assert title.eligibility.value == YI


def _seed_text(file: str) -> str:
    path = SEEDS / file
    if not path.is_file():
        pytest.skip(f"seed documents not available at {SEEDS}")
    return path.read_text(encoding="utf-8")


def test_every_quote_is_verbatim_in_its_seed(programmes: dict[str, Programme]) -> None:
    for programme in programmes.values():
        assert programme.source.file in {
            "004_9c19d9a85d8c1f73.txt",
            "000_97a6efa9592fa78d.txt",
            "003_a7131506b2ab4421.txt",
        }
        references = [
            ref for target in programme.targets for ref in (target.source_ref, *target.see_also)
        ]
        references += [category.source_ref for category in programme.demonstration_categories]
        references += [reward.source_ref for reward in programme.rewards]
        references += [window.source_ref for window in programme.reporting_windows]
        references += [template.source_ref for template in programme.report_templates]
        if programme.statistics is not None:
            references += [programme.statistics.source_ref, *programme.statistics.see_also]
        for reference in references:
            assert reference.quote, f"{programme.id}: {reference.section} has no quote"
            assert reference.quote in _seed_text(reference.file), (programme.id, reference.quote)


def test_every_figure_in_a_target_quote_is_encoded(programmes: dict[str, Programme]) -> None:
    """Each quote's leading figure is the target's value (in 万/亿 where the text uses them)."""
    scale = {"亿元": YI, "万家": WAN, "万人": WAN, "万亿元": 10000 * YI}
    for programme in programmes.values():
        for target in programme.targets:
            quote = target.source_ref.quote or ""
            for suffix, factor in scale.items():
                if suffix in quote and target.unit in (Unit.cny, Unit.count):
                    number = quote.split(suffix)[0].rstrip("0123456789")
                    digits = quote.split(suffix)[0][len(number) :]
                    if digits:
                        assert Decimal(digits) * factor == target.value, (programme.id, quote)


# --- malformed files ---------------------------------------------------------------------------


def _minimal() -> dict[str, Any]:
    ref = {"file": "004_9c19d9a85d8c1f73.txt", "section": "一、工作目标"}
    return {
        "id": "test-programme",
        "name": "测试方案",
        "jurisdiction": "520000",
        "source": {"file": ref["file"], "title": "测试", "sections": ["一"]},
        "period": {"start": dt.date(2023, 1, 1), "end": dt.date(2025, 12, 31)},
        "targets": [
            {
                "id": "parks",
                "name": "园区",
                "metric": "designated_parks",
                "comparison": "at_least",
                "value": 10,
                "unit": "count",
                "by": dt.date(2025, 12, 31),
                "source_ref": ref,
            }
        ],
    }


class _Dumper(yaml.SafeDumper):
    """Writes Decimals as plain YAML numbers, as a person would type them."""


_Dumper.add_representer(
    Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", str(value))
)


def _dump(data: dict[str, Any]) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True)


def _write(directory: Path, name: str, data: dict[str, Any] | str) -> Path:
    path = directory / name
    text = data if isinstance(data, str) else _dump(data)
    path.write_text(text, encoding="utf-8")
    return path


def _error_for(tmp_path: Path, mutate: Callable[[dict[str, Any]], None]) -> ProgrammeFileError:
    data = _minimal()
    mutate(data)
    path = _write(tmp_path, "broken.yaml", data)
    with pytest.raises(ProgrammeFileError) as caught:
        load_programme(path)
    assert "broken.yaml" in str(caught.value)
    return caught.value


def test_minimal_file_loads(tmp_path: Path) -> None:
    programme = load_programme(_write(tmp_path, "ok.yaml", _minimal()))
    assert programme.target("parks").value == 10


def test_unknown_field_is_named_with_its_dotted_path(tmp_path: Path) -> None:
    error = _error_for(tmp_path, lambda d: d["targets"][0].update(colour="red"))
    assert error.field == "targets.0.colour"
    assert "unknown field" in error.reason
    assert "targets.0.colour (id 'parks'): unknown field" in str(error)


def test_unknown_top_level_field(tmp_path: Path) -> None:
    error = _error_for(tmp_path, lambda d: d.update(budget=1))
    assert error.field == "budget"


def test_bad_value_and_enum(tmp_path: Path) -> None:
    error = _error_for(tmp_path, lambda d: d["targets"][0].update(value="lots"))
    assert error.field == "targets.0.value"
    assert "decimal" in error.reason.lower()
    error = _error_for(tmp_path, lambda d: d["targets"][0].update(metric="happiness"))
    assert error.field == "targets.0.metric"


def test_missing_field(tmp_path: Path) -> None:
    error = _error_for(tmp_path, lambda d: d.pop("jurisdiction"))
    assert error.field == "jurisdiction"
    assert "required" in error.reason.lower()


def test_money_beyond_fen_is_rejected(tmp_path: Path) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["targets"][0].update(unit="cny", value=Decimal("10.005"))

    error = _error_for(tmp_path, mutate)
    assert error.field == "targets.0"
    assert "2 decimal places" in error.reason


def test_reward_money_beyond_fen_is_rejected(tmp_path: Path) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["rewards"] = [
            {
                "kind": "statistics_list_entry",
                "id": "entry",
                "name": "入库奖励",
                "max_amount": Decimal("1.001"),
                "source_ref": data["targets"][0]["source_ref"],
            }
        ]

    error = _error_for(tmp_path, mutate)
    assert error.field == "rewards.0.statistics_list_entry.max_amount"
    assert "decimal places" in error.reason


def test_count_must_be_whole(tmp_path: Path) -> None:
    error = _error_for(tmp_path, lambda d: d["targets"][0].update(value=Decimal("10.5")))
    assert "whole number" in error.reason


def test_duplicate_target_ids(tmp_path: Path) -> None:
    error = _error_for(tmp_path, lambda d: d["targets"].append(dict(d["targets"][0])))
    assert "'parks' appears more than once" in error.reason


def test_target_due_after_the_period(tmp_path: Path) -> None:
    error = _error_for(tmp_path, lambda d: d["targets"][0].update(by=dt.date(2026, 1, 1)))
    assert "after the programme period" in error.reason


def test_unknown_category_reference(tmp_path: Path) -> None:
    def mutate(data: dict[str, Any]) -> None:
        data["reporting_windows"] = [
            {
                "id": "annual",
                "name": "年报",
                "due_month": 12,
                "due_day": 10,
                "reporters": ["park"],
                "recipient": "省商务厅",
                "source_ref": data["targets"][0]["source_ref"],
            }
        ]

    error = _error_for(tmp_path, mutate)
    assert "unknown demonstration category 'park'" in error.reason


def test_yaml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "syntax.yaml", "id: x\ntargets: [unclosed\n")
    with pytest.raises(ProgrammeFileError) as caught:
        load_programme(path)
    assert "syntax.yaml" in str(caught.value)
    assert "not valid YAML" in caught.value.reason
    assert "line" in caught.value.reason


def test_duplicate_yaml_keys_are_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "twice.yaml", "id: a\nid: b\n")
    with pytest.raises(ProgrammeFileError, match="duplicate key 'id'"):
        load_programme(path)


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    with pytest.raises(ProgrammeFileError, match="one mapping at the top level"):
        load_programme(_write(tmp_path, "odd.yaml", text))


def test_decimals_are_exact() -> None:
    text = _dump(_minimal()).replace("value: 10", "value: 0.1")
    text = text.replace("unit: count", "unit: percent")
    programme = parse_programme(text, path=Path("inline.yaml"))
    assert programme.targets[0].value == Decimal("0.1")


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", _minimal())
    _write(tmp_path, "b.yml", _minimal())
    with pytest.raises(ProgrammeFileError) as caught:
        load_programmes(tmp_path)
    message = str(caught.value)
    assert "b.yml" in message and "a.yaml" in message
    assert caught.value.field == "id"


def test_load_programmes_ignores_other_files_and_needs_a_directory(tmp_path: Path) -> None:
    _write(tmp_path, "README.md", "not a programme")
    assert load_programmes(tmp_path) == {}
    with pytest.raises(ProgrammeFileError, match="not a directory"):
        load_programmes(tmp_path / "missing")


def test_reward_settings_are_data(programmes: dict[str, Programme]) -> None:
    guizhou = programmes[GUIZHOU]
    milestones = [r for r in guizhou.rewards if isinstance(r, SalesMilestoneReward)]
    assert {(r.sales_indicator, r.pays_difference) for r in milestones} == {
        ("online_retail_sales", True)
    }
    (subsidy,) = [r for r in guizhou.rewards if isinstance(r, TrafficSubsidy)]
    assert (subsidy.basis_indicator, subsidy.count_partial_unit) == (
        "physical_goods_online_retail_sales",
        False,
    )
    assert guizhou.reward_policy is not None and guizhou.reward_policy.defaults
    assert guizhou.reward_policy.on_revocation.cancel_unpaid
    # a reward that reads an indicator no report template defines is refused
    data = guizhou.model_dump(mode="json")
    for reward in data["rewards"]:
        if reward["kind"] == "traffic_subsidy":
            reward["basis_indicator"] = "commodity_sales_typo"
    with pytest.raises(ValueError, match="unknown report indicator"):
        Programme.model_validate(data)
