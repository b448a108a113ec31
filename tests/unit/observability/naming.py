"""OpenTelemetry metric names as the Collector's Prometheus exporter writes them.

A port of ``normalizeName`` in github.com/prometheus/otlptranslator (v1.0.0, the translation
strategy ``UnderscoreEscapingWithSuffixes`` that deploy/observability/otel-collector.yaml
sets): the name split on every character outside ``[a-zA-Z0-9:]``, the unit's word appended
unless the name has it (``s`` -> ``seconds``; a ``{thing}`` annotation and ``1`` add nothing),
``_total`` for monotonic counters, ``_ratio`` for gauges of unit ``1``.
"""

from __future__ import annotations

import re

from shared.metrics import MetricSpec

UNITS = {
    "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds",
    "us": "microseconds", "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes",
    "MiBy": "mebibytes", "GiBy": "gibibytes", "TiBy": "tibibytes", "KBy": "kilobytes",
    "MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes", "m": "meters", "V": "volts",
    "A": "amperes", "J": "joules", "W": "watts", "g": "grams", "Cel": "celsius", "Hz": "hertz",
    "1": "", "%": "percent",
}  # fmt: skip
PER_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month",
             "y": "year"}  # fmt: skip
_INVALID = re.compile(r"[^a-zA-Z0-9:]")


def _clean(unit: str) -> str:
    return re.sub(r"_+", "_", _INVALID.sub("_", unit)).lstrip("_")


def _unit_suffixes(unit: str) -> tuple[str, str]:
    main, _, per = unit.partition("/")
    main_suffix = per_suffix = ""
    main = main.strip()
    if main and not any(c in main for c in "{}"):
        main_suffix = UNITS.get(main, main)
    per = per.strip()
    if per and not any(c in per for c in "{}"):
        per_suffix = "per_" + PER_UNITS.get(per, per)
    return main_suffix, per_suffix


def prometheus_name(name: str, unit: str, kind: str) -> str:
    tokens = [token for token in _INVALID.split(name) if token]
    main, per = (_clean(part) for part in _unit_suffixes(unit))
    if main in tokens:
        main = ""
    if per == "per_":
        per = ""
    else:
        per = per.rstrip("_")
        if per in tokens:
            per = ""
    if per:
        main = main.rstrip("_")
    if main:
        tokens.append(main)
    if per:
        tokens.append(per)
    if kind == "counter":
        tokens = [t for t in tokens if t != "total"] + ["total"]
    if unit == "1" and kind == "gauge":
        tokens = [t for t in tokens if t != "ratio"] + ["ratio"]
    joined = "_".join(tokens)
    return "_" + joined if joined[:1].isdigit() else joined


def label_name(attribute: str) -> str:
    return re.sub(r"_+", "_", _INVALID.sub("_", attribute))


def series_names(spec: MetricSpec) -> set[str]:
    """Every name the spec's points appear under in Prometheus."""
    base = prometheus_name(spec.name, spec.unit, spec.kind)
    if spec.kind == "histogram":
        return {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
    return {base}
