"""Checking a report against its category's template (the programme file's ``report_templates``).

Errors block the report: an unknown indicator, a wrong unit or type, a value out of bounds, a
required figure missing, a figure a reward applying to the reporter is computed from missing (the
traffic subsidy's 实物商品网络零售额 for an enterprise, 004 四(二)3; a warning instead where the
programme sets ``reward_figures.missing: warn``), a failed cross check (实物商品网络零售额 ≤
网络零售额; 农产品 ≤ 农村 where the template says so). A change against last year's accepted figure above the template's
percentage (configurable, default 50 %, docs/submissions.md) is a *warning*: the report may be
submitted once each warned field has a written explanation. The templates are defaults until the
province publishes its own (004_9c19d9a85d8c1f73.txt 三(三) names no figures).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from shared.i18n import Text, t
from shared.programmes import (
    IndicatorType,
    Programme,
    ReportIndicator,
    ReportTemplate,
    Reward,
    Unit,
)
from shared.programmes.report_templates import MissingRewardFigure
from submissions.domain.versions import Figure

# A figure a reward applying to the reporter is computed from, left out: an error by default,
# a warning where the programme says ``reward_figures.missing: warn``.
REQUIRED_FOR_REWARD = "required_for_reward"
MISSING_REWARD_FIGURE = "missing_reward_figure"


@dataclass(frozen=True)
class ReportedFigure:
    """A value as sent; ``unit``, when given, must be the template's (``cny``, ``count``, …)."""

    value: object
    unit: str | None = None


# The units as a Chinese sentence names them.
_UNIT_ZH = {
    Unit.cny: "元",
    Unit.count: "个",
    Unit.percent: "%",
    Unit.persons: "人",
    Unit.square_metres: "平方米",
}


@dataclass(frozen=True)
class Finding:
    """One error or warning about a figure, its explanation in both languages (``text``): a
    problem answers in the caller's language."""

    field: str
    code: str
    text: Text

    @property
    def message(self) -> str:
        """The English: what a submitted report stores with its warnings and its events carry,
        in the words they always had."""
        return self.text.en


@dataclass(frozen=True)
class ReportCheck:
    figures: Mapping[str, Figure]
    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    unexplained: tuple[Finding, ...]

    @property
    def ready_to_submit(self) -> bool:
        return not self.errors and not self.unexplained


def check_report(
    template: ReportTemplate,
    reported: Mapping[str, ReportedFigure | object],
    *,
    last_accepted: Mapping[str, Figure] | None = None,
    explanations: Mapping[str, str] | None = None,
    reward_figures: Mapping[str, Sequence[Reward]] | None = None,
    missing_reward_figure: MissingRewardFigure = MissingRewardFigure.refuse,
) -> ReportCheck:
    """``reward_figures``: the indicators rewards that apply to this reporter are computed from
    (``Programme.reward_figures_for``); one left out is an error, or with ``warn`` a warning
    that needs no explanation (the report is taken, the reward will find no figure)."""
    figures: dict[str, Figure] = {}
    errors: list[Finding] = []
    known = {indicator.id: indicator for indicator in template.indicators}
    for name in sorted(set(reported) - set(known)):
        errors.append(
            Finding(
                name,
                "unknown_indicator",
                t(
                    f"{template.name}的报告没有指标“{name}”",
                    f"the {template.category} report has no indicator {name!r}",
                ),
            )
        )
    for indicator in template.indicators:
        raw = reported.get(indicator.id)
        figure = raw if isinstance(raw, ReportedFigure) else ReportedFigure(raw)
        if figure.value is None:
            if indicator.required:
                errors.append(
                    Finding(
                        indicator.id,
                        "required",
                        t(
                            f"{indicator.name_zh}为必填项",
                            f"{indicator.id} ({indicator.name_en}) is required",
                        ),
                    )
                )
            continue
        value, problem = _read(indicator, figure)
        if problem is not None:
            errors.append(problem)
        elif value is not None:
            figures[indicator.id] = value
    missing = _missing_reward_figures(known, reported, reward_figures or {}, missing_reward_figure)
    if missing_reward_figure is MissingRewardFigure.refuse:
        errors += missing
    errors += _cross_checks(template, known, figures)
    warnings = _changes(template, known, figures, last_accepted or {})
    written = {k for k, v in (explanations or {}).items() if v and v.strip()}
    unexplained = tuple(
        Finding(
            w.field,
            "explanation_required",
            t(
                f"提交前请说明{_zh(known, w.field)}的变动",
                f"explain the change of {w.field} before submitting",
            ),
        )
        for w in warnings
        if w.field not in written
    )
    if missing_reward_figure is MissingRewardFigure.warn:
        warnings += missing  # taken as it is: nothing to explain
    return ReportCheck(figures, tuple(errors), tuple(warnings), unexplained)


def check_reporters_report(
    programme: Programme,
    reported: Mapping[str, ReportedFigure | object],
    *,
    category: str,
    entity_type: str,
    last_accepted: Mapping[str, Figure] | None = None,
    explanations: Mapping[str, str] | None = None,
) -> ReportCheck:
    """A reporter's report against its category's template, with the figures the rewards
    that apply to it are computed from, as the programme says (``reward_figures``)."""
    return check_report(
        programme.report_template(category),
        reported,
        last_accepted=last_accepted,
        explanations=explanations,
        reward_figures=programme.reward_figures_for(category=category, entity_type=entity_type),
        missing_reward_figure=programme.reward_figures.missing,
    )


def _missing_reward_figures(
    known: Mapping[str, ReportIndicator],
    reported: Mapping[str, ReportedFigure | object],
    reward_figures: Mapping[str, Sequence[Reward]],
    mode: MissingRewardFigure,
) -> list[Finding]:
    """Each figure a reward applying to the reporter is computed from, left out (an error, or
    a warning with ``warn``); a figure the template requires anyway is ``required`` already."""
    findings = []
    for name, rewards in reward_figures.items():
        indicator = known.get(name)
        raw = reported.get(name)
        value = raw.value if isinstance(raw, ReportedFigure) else raw
        if indicator is None or indicator.required or value is not None:
            continue
        names_zh = "、".join(reward.name for reward in rewards)
        ids = ", ".join(reward.id for reward in rewards)
        if mode is MissingRewardFigure.refuse:
            finding = Finding(
                name,
                REQUIRED_FOR_REWARD,
                t(
                    f"{indicator.name_zh}为必填项：{names_zh}据此核算",
                    f"{name} ({indicator.name_en}) is required: {ids} is computed from it",
                ),
            )
        else:
            finding = Finding(
                name,
                MISSING_REWARD_FIGURE,
                t(
                    f"未填{indicator.name_zh}：{names_zh}据此核算，缺此数据将无法享受",
                    f"{name} ({indicator.name_en}) is left out: {ids} is computed from it "
                    "and will find no figure",
                ),
            )
        findings.append(finding)
    return findings


def _zh(known: Mapping[str, ReportIndicator], name: str) -> str:
    """An indicator as a Chinese sentence names it: its Chinese name, else its id."""
    indicator = known.get(name)
    return indicator.name_zh if indicator is not None else name


def _read(
    indicator: ReportIndicator, figure: ReportedFigure
) -> tuple[Figure | None, Finding | None]:
    name, label = indicator.id, indicator.name_zh
    if figure.unit is not None and figure.unit != indicator.unit.value:
        # The Chinese does not repeat the unit sent: it may be any text at all.
        unit_zh = _UNIT_ZH.get(indicator.unit, indicator.unit.value)
        return None, Finding(
            name,
            "wrong_unit",
            t(
                f"{label}的单位应为{unit_zh}（{indicator.unit.value}），与所报单位不符",
                f"{name} is in {indicator.unit.value}, not {figure.unit}",
            ),
        )
    value = _number(figure.value)
    if value is None:
        kind_zh = "整数" if indicator.type is IndicatorType.integer else "小数"
        return None, Finding(
            name,
            "wrong_type",
            t(
                f"{label}须为精确数值（{kind_zh}），小数请以字符串发送",
                f"{name} must be an exact number ({indicator.type.value}); "
                "send decimals as strings",
            ),
        )
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if indicator.type is IndicatorType.integer:
        if value != value.to_integral_value():
            return None, Finding(
                name, "wrong_type", t(f"{label}须为整数", f"{name} is a whole number")
            )
        result: Figure = int(value)
    else:
        if places > indicator.decimal_places:
            return None, Finding(
                name,
                "wrong_type",
                t(
                    f"{label}最多保留 {indicator.decimal_places} 位小数",
                    f"{name} has at most {indicator.decimal_places} decimal places",
                ),
            )
        result = value
    if indicator.min is not None and value < indicator.min:
        return None, Finding(
            name,
            "out_of_bounds",
            t(f"{label}不得小于 {indicator.min}", f"{name} must be at least {indicator.min}"),
        )
    if indicator.max is not None and value > indicator.max:
        return None, Finding(
            name,
            "out_of_bounds",
            t(f"{label}不得大于 {indicator.max}", f"{name} must be at most {indicator.max}"),
        )
    return result, None


def _number(raw: object) -> Decimal | None:
    """Exact numbers only: ``bool`` is not a number here, and a binary float is not exact."""
    if isinstance(raw, bool) or isinstance(raw, float):
        return None
    if isinstance(raw, int | Decimal):
        value = Decimal(raw)
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip().replace(",", ""))
        except InvalidOperation:
            return None
    else:
        return None
    return value if value.is_finite() else None


def _cross_checks(
    template: ReportTemplate, known: Mapping[str, ReportIndicator], figures: Mapping[str, Figure]
) -> list[Finding]:
    failures = []
    for check in template.checks:
        value, limit = figures.get(check.field), figures.get(check.limit)
        if value is not None and limit is not None and value > limit:
            failures.append(
                Finding(
                    check.field,
                    "cross_check",
                    t(
                        f"{_zh(known, check.field)}（{value}）不得超过"
                        f"{_zh(known, check.limit)}（{limit}）",
                        f"{check.field} ({value}) must not exceed {check.limit} ({limit})",
                    ),
                )
            )
    return failures


def _changes(
    template: ReportTemplate,
    known: Mapping[str, ReportIndicator],
    figures: Mapping[str, Figure],
    last_year: Mapping[str, Figure],
) -> list[Finding]:
    warnings = []
    for name, value in figures.items():
        before = last_year.get(name)
        if before is None:
            continue
        threshold = template.threshold_for(name)
        label = _zh(known, name)
        if before == 0:
            if value != 0:
                warnings.append(
                    Finding(
                        name,
                        "large_change",
                        t(
                            f"{label}上年为 0，本年为 {value}",
                            f"{name} was 0 last year, now {value}",
                        ),
                    )
                )
            continue
        change = (Decimal(value) - Decimal(before)) / abs(Decimal(before)) * 100
        if abs(change) > threshold:
            warnings.append(
                Finding(
                    name,
                    "large_change",
                    t(
                        f"{label}较上年审核通过的 {before} 变动 {change:+.1f}%"
                        f"（超过 {threshold}%）",
                        f"{name} changed {change:+.1f} % against last year's accepted {before} "
                        f"(over {threshold} %)",
                    ),
                )
            )
    return warnings
