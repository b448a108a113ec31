"""The document's own figures, which no revision of a programme may break.

A province revises its programme (docs/programmes.md, "Revisions"): targets, windows, rounds,
reward amounts. The figures the *document* states stay as quoted: a reward may pay less than
the document's cap, never more; the yearly report stays due on the document's day. Each rule
here carries its quote, checked against the seed by the unit tests, so a refusal names the
words it rests on.

Rules are keyed by the programme's source document (``source.file``), which a revision may not
change (``unchangeable``): a new document is a new programme.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from shared.programmes.common import Unit
from shared.programmes.model import Programme
from shared.programmes.sections import DesignationReward, SalesMilestoneReward, TrafficSubsidy


@dataclass(frozen=True)
class Quote:
    """Where a rule is written: the seed file, its section and the words."""

    file: str
    section: str
    text: str


@dataclass(frozen=True)
class Violation:
    """A field of the definition (dotted, as validation errors name it) that breaks a rule
    the document states, the rule in a few words, and the document's words."""

    field: str
    rule: str
    quote: Quote


GUIZHOU_DOCUMENT = "004_9c19d9a85d8c1f73.txt"

GUIZHOU_REPORT_DUE = Quote(
    GUIZHOU_DOCUMENT,
    "三、组织实施（三）开展日常监管",
    "于每年12月10日向省商务厅报送相关数据和园区(基地、企业)发展情况",
)
GUIZHOU_DESIGNATION_CAPS = Quote(
    GUIZHOU_DOCUMENT,
    "四、保障措施（二）2",
    "分别给予不超过300万元、50万元、5万元、5万元的一次性奖励",
)
GUIZHOU_SALES_CAPS = Quote(
    GUIZHOU_DOCUMENT,
    "四、保障措施（二）3",
    "对年销售额达50亿元、10亿元的一次性分别给予不超过300万、100万奖励",
)
GUIZHOU_TRAFFIC_SUBSIDY = Quote(
    GUIZHOU_DOCUMENT,
    "四、保障措施（二）3",
    "每实现1万元最高给予5元流量补贴,每家企业最高补贴不超过100万元",
)
GUIZHOU_TRAFFIC_ELIGIBILITY = Quote(
    GUIZHOU_DOCUMENT,
    "四、保障措施（二）3",
    "对当年实现商品网络零售额在亿元以上的上规入统的电商企业(不含跨境电商)",
)

# 四(二)2: park, base, enterprise, team, in the document's order.
_DESIGNATION_CAPS = {
    "park": Decimal(3_000_000),
    "base": Decimal(500_000),
    "enterprise": Decimal(50_000),
    "team": Decimal(50_000),
}
# 四(二)3: (annual sales reached, cap), the highest tier first.
_SALES_TIERS = (
    (Decimal(5_000_000_000), Decimal(3_000_000)),
    (Decimal(1_000_000_000), Decimal(1_000_000)),
)
_SUBSIDY_PER_UNIT = (Decimal(5), Decimal(10_000))  # at most 5 CNY per 10,000 CNY
_SUBSIDY_CAP = Decimal(1_000_000)
_SUBSIDY_THRESHOLD = Decimal(100_000_000)  # 亿元以上
_DUE = (12, 10)


def _guizhou_report_due(programme: Programme) -> list[Violation]:
    """004 三(三) sets one yearly report, due 10 December: every reporting window of the
    programme is that report, every year (a year's override may move the opening, the grace
    and the lock, not the due day)."""
    found: list[Violation] = []
    for i, window in enumerate(programme.reporting_windows):
        if (window.due_month, window.due_day) != _DUE:
            found.append(
                Violation(f"reporting_windows.{i}.due_day", "due on 12-10", GUIZHOU_REPORT_DUE)
            )
        for j, override in enumerate(window.overrides):
            due = override.due_on
            if due is not None and due != dt.date(override.year, *_DUE):
                field = f"reporting_windows.{i}.overrides.{j}.due_on"
                found.append(Violation(field, f"due on {override.year}-12-10", GUIZHOU_REPORT_DUE))
    return found


def _guizhou_rewards(programme: Programme) -> list[Violation]:
    found: list[Violation] = []
    for i, reward in enumerate(programme.rewards):
        where = f"rewards.{i}"
        if isinstance(reward, DesignationReward):
            found += _designation(where, reward)
        elif isinstance(reward, SalesMilestoneReward):
            found += _sales(where, reward)
        elif isinstance(reward, TrafficSubsidy):
            found += _traffic(where, reward)
    return found


def _designation(where: str, reward: DesignationReward) -> list[Violation]:
    cap = _DESIGNATION_CAPS.get(reward.category or "")
    if cap is None:
        rule = "a designation reward is for a park, base, enterprise or team"
        return [Violation(f"{where}.category", rule, GUIZHOU_DESIGNATION_CAPS)]
    if reward.max_amount is None or reward.max_amount > cap:
        rule = f"at most {cap} CNY for a {reward.category}"
        return [Violation(f"{where}.max_amount", rule, GUIZHOU_DESIGNATION_CAPS)]
    return []


def _sales(where: str, reward: SalesMilestoneReward) -> list[Violation]:
    reached = [cap for tier, cap in _SALES_TIERS if reward.threshold >= tier]
    if not reached:
        rule = "annual sales rewards start at 1,000,000,000 CNY"
        return [Violation(f"{where}.threshold", rule, GUIZHOU_SALES_CAPS)]
    if reward.max_amount > reached[0]:
        rule = f"at most {reached[0]} CNY for annual sales of {reward.threshold} CNY"
        return [Violation(f"{where}.max_amount", rule, GUIZHOU_SALES_CAPS)]
    return []


def _traffic(where: str, reward: TrafficSubsidy) -> list[Violation]:
    found: list[Violation] = []
    amount, unit = _SUBSIDY_PER_UNIT
    # amount_per_unit / unit_amount ≤ 5 / 10,000, compared without dividing (exact).
    if reward.amount_per_unit * unit > amount * reward.unit_amount:
        rule = "at most 5 CNY per 10,000 CNY of commodity online retail"
        found.append(Violation(f"{where}.amount_per_unit", rule, GUIZHOU_TRAFFIC_SUBSIDY))
    if reward.cap_per_enterprise > _SUBSIDY_CAP:
        rule = "at most 1,000,000 CNY per enterprise"
        found.append(Violation(f"{where}.cap_per_enterprise", rule, GUIZHOU_TRAFFIC_SUBSIDY))
    # At least or more than 亿元: either comparison from 100,000,000 on is the document's or
    # stricter; a lower figure would pay enterprises the document does not.
    eligibility = reward.eligibility
    if eligibility.unit is not Unit.cny or eligibility.value < _SUBSIDY_THRESHOLD:
        rule = "only for commodity online retail of at least 100,000,000 CNY"
        found.append(Violation(f"{where}.eligibility.value", rule, GUIZHOU_TRAFFIC_ELIGIBILITY))
    if not reward.requires_statistics_listing:
        rule = "only for enterprises in the statistics list (上规入统)"
        found.append(
            Violation(f"{where}.requires_statistics_listing", rule, GUIZHOU_TRAFFIC_ELIGIBILITY)
        )
    if not reward.excludes_cross_border:
        rule = "cross-border e-commerce is excluded"
        found.append(Violation(f"{where}.excludes_cross_border", rule, GUIZHOU_TRAFFIC_ELIGIBILITY))
    return found


Rule = Callable[[Programme], list[Violation]]

# The rules of each source document. Qinghai (000) leaves its amounts to the yearly guide
# ("具体资金支持标准以每年项目申报指南为准") and Qingdao (003) names none, so neither has any.
RULES: dict[str, tuple[Rule, ...]] = {
    GUIZHOU_DOCUMENT: (_guizhou_report_due, _guizhou_rewards),
}
QUOTES: tuple[Quote, ...] = (
    GUIZHOU_REPORT_DUE,
    GUIZHOU_DESIGNATION_CAPS,
    GUIZHOU_SALES_CAPS,
    GUIZHOU_TRAFFIC_SUBSIDY,
    GUIZHOU_TRAFFIC_ELIGIBILITY,
)


def guard(programme: Programme) -> list[Violation]:
    """Every rule of the programme's document that ``programme`` breaks (empty: none)."""
    return [v for rule in RULES.get(programme.source.file, ()) for v in rule(programme)]


# What identifies the programme and its document: a revision keeps them. Another document, or
# another jurisdiction, is another programme (with rules of its own).
UNCHANGEABLE = ("id", "jurisdiction", "source.file", "document_number")


def unchangeable(before: Programme, after: Programme) -> list[str]:
    """The fields of :data:`UNCHANGEABLE` that ``after`` changes."""
    changed: list[str] = []
    for field in UNCHANGEABLE:
        old: object = before
        new: object = after
        for step in field.split("."):
            old, new = getattr(old, step), getattr(new, step)
        if old != new:
            changed.append(field)
    return changed
