"""Scoring against a category's weighted indicator system (004 三(二)2(2) 组织评审).

Each expert scores every indicator from 0 to its weight (weights total 100). A card is
complete or refused. Nobody sees another's card until all are in (``ScoreBoard.visible``).
The result is the panel's aggregate of the experts' totals (trimmed mean by default: the
highest and lowest ``trim_each_end`` totals are dropped) against the programme's pass mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from shared.i18n import Text, t
from shared.programmes.awarding import Aggregate, ExpertPanel
from shared.programmes.sections import IndicatorSystem

TWO_PLACES = Decimal("0.01")


class ScoreCardInvalid(ValueError):
    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


def check_card(system: IndicatorSystem, scores: dict[str, Decimal]) -> Decimal:
    """The card's total; refuses missing, unknown and out-of-range indicators."""
    weights = {indicator.id: indicator.weight for indicator in system.indicators}
    if not weights:
        raise ScoreCardInvalid(
            t(
                f"类别“{system.category}”没有可评分的指标",
                f"category {system.category!r} has no indicators to score",
            )
        )
    missing = sorted(set(weights) - set(scores))
    unknown = sorted(set(scores) - set(weights))
    if missing or unknown:
        raise ScoreCardInvalid(
            t(
                f"评分表缺少指标：{'、'.join(missing) or '无'}；未知指标：{'、'.join(unknown) or '无'}",
                f"missing {missing}, unknown {unknown}",
            )
        )
    for indicator_id, score in scores.items():
        if not (0 <= score <= weights[indicator_id]):
            most = weights[indicator_id]
            raise ScoreCardInvalid(
                t(
                    f"指标 {indicator_id} 的得分{score}不在0至{most}分之间",
                    f"{indicator_id}: {score} is outside 0..{most}",
                )
            )
    return sum(scores.values(), Decimal(0))


def aggregate(totals: list[Decimal], panel: ExpertPanel) -> Decimal:
    if not totals:
        raise ValueError("no scores")
    kept = sorted(totals)
    if panel.aggregate is Aggregate.trimmed_mean and len(kept) > 2 * panel.trim_each_end:
        trim = panel.trim_each_end
        kept = kept[trim : len(kept) - trim] if trim else kept
    mean = sum(kept, Decimal(0)) / len(kept)
    return mean.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Result:
    score: Decimal
    passed: bool
    totals: dict[str, Decimal]


def result(totals: dict[str, Decimal], panel: ExpertPanel) -> Result:
    score = aggregate(list(totals.values()), panel)
    return Result(score=score, passed=score >= panel.pass_mark, totals=dict(totals))


def visible_scores(
    cards: dict[str, Decimal], members: tuple[str, ...], viewer: str | None
) -> dict[str, Decimal]:
    """What a viewer may see: only its own card until every member's card is in."""
    if set(members) <= set(cards):
        return dict(cards)
    return {k: v for k, v in cards.items() if k == viewer}
