"""Every metric the alert rules and dashboards read exists: either the code defines it
(``shared.metrics.METRICS``, ``INSTRUMENTATION``), translated as the Collector writes it, or it is
a documented name of the platform (Temporal's server, kube-state-metrics, Kafka Exporter), listed
in docs/observability.md. And every label they filter or group by is one those series carry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.metrics import INSTRUMENTATION, METRICS, MetricSpec
from tests.unit.observability.naming import label_name, prometheus_name, series_names

ROOT = Path(__file__).resolve().parents[3]
OBSERVABILITY = ROOT / "deploy" / "observability"
RULES = OBSERVABILITY / "rules" / "ecommerce-programmes.rules.yaml"
DASHBOARDS = sorted((OBSERVABILITY / "dashboards").glob("*.json"))
DOC = ROOT / "docs" / "observability.md"

# Labels every series of ours carries: the resource attributes the Collector turns into labels
# (otel-collector.yaml, resource_constant_labels), job/instance, and le for histogram buckets.
RESOURCE_LABELS = {"service_name", "ecom_process_role", "k8s_namespace_name", "k8s_pod_name",
                   "job", "instance"}  # fmt: skip

# Series from outside this code base, with the labels used from them.
EXTERNAL: dict[str, tuple[str, set[str]]] = {
    "workflow_failed": ("Temporal server", {"namespace", "workflowType"}),
    "workflow_timeout": ("Temporal server", {"namespace", "workflowType"}),
    "approximate_backlog_age_seconds": ("Temporal server", {"namespace", "taskqueue", "task_type"}),
    "kube_job_status_failed": ("kube-state-metrics", {"namespace", "job_name"}),
    "kube_cronjob_status_last_successful_time": ("kube-state-metrics", {"namespace", "cronjob"}),
    "kafka_consumergroup_lag": ("Kafka Exporter", {"consumergroup", "topic", "partition"}),
}

PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "sum", "min", "max", "avg", "count", "topk", "bottomk", "quantile",
    "stddev", "stdvar", "count_values", "group", "inf", "nan",
}  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def ours() -> dict[str, set[str]]:
    """Prometheus series name -> the labels it carries."""
    known: dict[str, set[str]] = {}
    for spec in (*METRICS, *INSTRUMENTATION):
        labels = {label_name(a) for a in spec.attributes} | RESOURCE_LABELS
        for name in series_names(spec):
            known[name] = labels | ({"le"} if name.endswith("_bucket") else set())
    return known


KNOWN = ours() | {name: labels for name, (_source, labels) in EXTERNAL.items()}


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads (no PromQL parser here: strings, matchers,
    groupings and durations are cut away, then what is left that is not a function or a
    keyword is a metric)."""
    text = _STRING.sub('""', expr)
    text = _SELECTOR.sub(lambda m: f" {m.group(1) or ''} ", text)
    text = _GROUPING.sub(" ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\boffset\s+\d+[smhdwy]", " ", text)
    names = set()
    for match in _IDENT.finditer(text):
        word, rest = match.group(0), text[match.end() :].lstrip()
        if word in PROMQL_WORDS or rest.startswith("("):
            continue
        names.add(word)
    return names


def selector_labels(expr: str) -> Iterator[tuple[str, set[str]]]:
    """(metric, labels matched on it) for every ``metric{…}`` selector."""
    text = _STRING.sub('""', expr)
    for match in _SELECTOR.finditer(text):
        if match.group(1):
            yield match.group(1), set(_MATCHER.findall(match.group(2)))


def grouping_labels(expr: str) -> set[str]:
    labels: set[str] = set()
    for clause in _GROUPING.findall(_STRING.sub('""', expr)):
        labels |= {label.strip() for label in clause.split(",") if label.strip()}
    return labels


def rule_expressions() -> list[tuple[str, str]]:
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [
        (rule.get("alert") or rule["record"], rule["expr"])
        for group in rules["groups"]
        for rule in group["rules"]
    ]


def dashboard_expressions() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text(encoding="utf-8"))
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                if "expr" in target:
                    found.append((f"{path.name}: {panel['title']}", target["expr"]))
        for variable in board["templating"]["list"]:
            query = variable.get("query")
            text = query.get("query", "") if isinstance(query, dict) else ""
            if match := re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", text):
                found.append((f"{path.name}: ${variable['name']}", f"{match[1]}{{{match[2]}!=''}}"))
    return found


EXPRESSIONS = rule_expressions() + dashboard_expressions()


def test_the_translation_follows_the_collectors() -> None:
    # Cases from otlptranslator's own tests (UnderscoreEscapingWithSuffixes).
    assert prometheus_name("requests", "", "counter") == "requests_total"
    assert prometheus_name("cpu_usage", "1", "gauge") == "cpu_usage_ratio"
    assert prometheus_name("items", "1", "counter") == "items_total"
    assert prometheus_name("response_time", "ms", "gauge") == "response_time_milliseconds"
    assert prometheus_name("throughput", "By/s", "gauge") == "throughput_bytes_per_second"
    assert prometheus_name("custom_metric", "{custom}", "gauge") == "custom_metric"
    assert prometheus_name("custom_metric", "By/{custom}", "gauge") == "custom_metric_bytes"
    assert prometheus_name("response_time_seconds", "s", "gauge") == "response_time_seconds"
    assert prometheus_name("requests_total", "", "counter") == "requests_total"
    # And ours.
    assert prometheus_name("outbox.backlog.age", "s", "gauge") == "outbox_backlog_age_seconds"
    assert prometheus_name("consumer.dead_lettered", "{event}", "counter") == (
        "consumer_dead_lettered_total"
    )


def test_the_extraction_finds_the_metrics_of_an_expression() -> None:
    expr = (
        'sum by (channel) (rate(sender_deliveries_total{status=~"a|b"}[15m])) '
        "/ sum by (channel) (rate(sender_deliveries_total[15m])) > 0.5 "
        "and on (window_id) max(submissions_window_due_time_seconds) - time() < 7 * 86400 "
        "or x_total unless x_total offset 15m"
    )
    assert metric_names(expr) == {
        "sender_deliveries_total",
        "submissions_window_due_time_seconds",
        "x_total",
    }
    assert dict(selector_labels(expr)) == {"sender_deliveries_total": {"status"}}
    assert grouping_labels(expr) == {"channel", "window_id"}


@pytest.mark.parametrize(("where", "expr"), EXPRESSIONS, ids=[w for w, _ in EXPRESSIONS])
def test_every_metric_read_is_defined_or_documented(where: str, expr: str) -> None:
    names = metric_names(expr)
    assert names, f"{where}: no metric found in {expr!r}"
    unknown = names - set(KNOWN)
    assert not unknown, (
        f"{where}: {sorted(unknown)} defined neither in shared/metrics.py nor EXTERNAL"
    )


@pytest.mark.parametrize(("where", "expr"), EXPRESSIONS, ids=[w for w, _ in EXPRESSIONS])
def test_every_label_used_is_one_the_series_carry(where: str, expr: str) -> None:
    for metric, labels in selector_labels(expr):
        missing = labels - KNOWN.get(metric, set())
        assert not missing, f"{where}: {metric} has no label {sorted(missing)}"
    carried = set().union(*(KNOWN.get(name, set()) for name in metric_names(expr)))
    missing = grouping_labels(expr) - carried - {"le"}
    assert not missing, f"{where}: grouped by {sorted(missing)}, which none of its series carry"


def test_every_metric_defined_is_shown_somewhere() -> None:
    used = set().union(*(metric_names(expr) for _where, expr in EXPRESSIONS))
    unshown = [
        spec.name for spec in METRICS if spec.role != "replay" and not series_names(spec) & used
    ]
    assert not unshown, f"defined but on no dashboard or rule: {unshown}"


def test_the_documentation_lists_every_series() -> None:
    doc = DOC.read_text(encoding="utf-8")
    specs: list[MetricSpec] = [*METRICS, *INSTRUMENTATION]
    missing = [spec.name for spec in specs if f"`{spec.name}`" not in doc]
    missing += [
        name
        for spec in specs
        if (name := prometheus_name(spec.name, spec.unit, spec.kind)) and f"`{name}" not in doc
    ]
    missing += [name for name in EXTERNAL if f"`{name}`" not in doc]
    assert not missing, f"docs/observability.md does not name: {missing}"


def test_metric_names_are_unique_and_lowercase() -> None:
    names = [spec.name for spec in (*METRICS, *INSTRUMENTATION)]
    assert len(names) == len(set(names))
    for spec in METRICS:
        assert re.fullmatch(r"[a-z][a-z0-9_.]*", spec.name), spec.name
        assert spec.kind in ("counter", "histogram", "gauge", "updowncounter")


def _all(board: Any) -> Iterator[dict[str, Any]]:
    for panel in board["panels"]:
        yield panel
        yield from panel.get("panels", [])


def test_dashboards_have_unique_ids_and_a_datasource_variable() -> None:
    uids = set()
    for path in DASHBOARDS:
        board = json.loads(path.read_text(encoding="utf-8"))
        assert board["uid"] not in uids
        uids.add(board["uid"])
        variables = {v["name"] for v in board["templating"]["list"]}
        assert "datasource" in variables, path.name
        ids = [panel["id"] for panel in _all(board)]
        assert len(ids) == len(set(ids)), path.name
    assert {path.stem for path in DASHBOARDS} == {
        "operations-registry",
        "operations-submissions",
        "operations-awards",
        "operations-notifications",
        "programme",
    }
