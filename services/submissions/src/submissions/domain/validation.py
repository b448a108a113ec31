"""Checking a report against its category's template (the programme file's ``report_templates``).

Errors block the report: an unknown indicator, a wrong unit or type, a value out of bounds, a
required figure missing, a failed cross check (实物商品网络零售额 ≤ 网络零售额; 农产品 ≤ 农村 where
the template says so). A change against last year's accepted figure above the template's
percentage (configurable, default 50 %, docs/submissions.md) is a *warning*: the report may be
submitted once each warned field has a written explanation. The templates are defaults until the
province publishes its own (004_9c19d9a85d8c1f73.txt 三(三) names no figures).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from shared.programmes import IndicatorType, ReportIndicator, ReportTemplate
from submissions.domain.versions import Figure


@dataclass(frozen=True)
class ReportedFigure:
    """A value as sent; ``unit``, when given, must be the template's (``cny``, ``count``, …)."""

    value: object
    unit: str | None = None


@dataclass(frozen=True)
class Finding:
    field: str
    code: str
    message: str


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
) -> ReportCheck:
    figures: dict[str, Figure] = {}
    errors: list[Finding] = []
    known = {indicator.id: indicator for indicator in template.indicators}
    for name in sorted(set(reported) - set(known)):
        errors.append(
            Finding(
                name,
                "unknown_indicator",
                f"the {template.category} report has no indicator {name!r}",
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
                        f"{indicator.name_zh} ({indicator.name_en}) is required",
                    )
                )
            continue
        value, problem = _read(indicator, figure)
        if problem is not None:
            errors.append(problem)
        elif value is not None:
            figures[indicator.id] = value
    errors += _cross_checks(template, figures)
    warnings = _changes(template, figures, last_accepted or {})
    written = {k for k, v in (explanations or {}).items() if v and v.strip()}
    unexplained = tuple(
        Finding(
            w.field, "explanation_required", f"explain the change of {w.field} before submitting"
        )
        for w in warnings
        if w.field not in written
    )
    return ReportCheck(figures, tuple(errors), tuple(warnings), unexplained)


def _read(
    indicator: ReportIndicator, figure: ReportedFigure
) -> tuple[Figure | None, Finding | None]:
    name = indicator.id
    if figure.unit is not None and figure.unit != indicator.unit.value:
        return None, Finding(
            name, "wrong_unit", f"{name} is in {indicator.unit.value}, not {figure.unit}"
        )
    value = _number(figure.value)
    if value is None:
        return None, Finding(
            name,
            "wrong_type",
            f"{name} must be an exact number ({indicator.type.value}); send decimals as strings",
        )
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if indicator.type is IndicatorType.integer:
        if value != value.to_integral_value():
            return None, Finding(name, "wrong_type", f"{name} is a whole number")
        result: Figure = int(value)
    else:
        if places > indicator.decimal_places:
            return None, Finding(
                name, "wrong_type", f"{name} has at most {indicator.decimal_places} decimal places"
            )
        result = value
    if indicator.min is not None and value < indicator.min:
        return None, Finding(name, "out_of_bounds", f"{name} must be at least {indicator.min}")
    if indicator.max is not None and value > indicator.max:
        return None, Finding(name, "out_of_bounds", f"{name} must be at most {indicator.max}")
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


def _cross_checks(template: ReportTemplate, figures: Mapping[str, Figure]) -> list[Finding]:
    failures = []
    for check in template.checks:
        value, limit = figures.get(check.field), figures.get(check.limit)
        if value is not None and limit is not None and value > limit:
            failures.append(
                Finding(
                    check.field,
                    "cross_check",
                    f"{check.field} ({value}) must not exceed {check.limit} ({limit})",
                )
            )
    return failures


def _changes(
    template: ReportTemplate, figures: Mapping[str, Figure], last_year: Mapping[str, Figure]
) -> list[Finding]:
    warnings = []
    for name, value in figures.items():
        before = last_year.get(name)
        if before is None:
            continue
        threshold = template.threshold_for(name)
        if before == 0:
            if value != 0:
                warnings.append(
                    Finding(name, "large_change", f"{name} was 0 last year, now {value}")
                )
            continue
        change = (Decimal(value) - Decimal(before)) / abs(Decimal(before)) * 100
        if abs(change) > threshold:
            warnings.append(
                Finding(
                    name,
                    "large_change",
                    f"{name} changed {change:+.1f} % against last year's accepted {before} (over {threshold} %)",
                )
            )
    return warnings
