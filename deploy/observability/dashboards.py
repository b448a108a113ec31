"""Writes the Grafana dashboards (dashboards/*.json): one operations dashboard per service and
the programme dashboard. Generated so that every panel of every service has the same shape;
the JSON files are committed (Grafana's sidecar and `kubectl kustomize` read them as they are).

    uv run --frozen python deploy/observability/dashboards.py           # write
    uv run --frozen python deploy/observability/dashboards.py --check   # exit 1 if stale

Metric names are the Prometheus names of shared/metrics.py (docs/observability.md); the
programme dashboard's target progress reads the registry's REST API through Grafana's Infinity
data source (plugin yesoreyeram-infinity-datasource, with a read-only bearer token).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "dashboards"
PROMETHEUS = {"type": "prometheus", "uid": "${datasource}"}
INFINITY = {"type": "yesoreyeram-infinity-datasource", "uid": "${registry_api}"}
TEMPORAL_NAMESPACE = "ecommerce-programmes"

# The roles each service runs besides api and relay (deploy/k8s/base).
ROLES = {
    "registry": ("consumer", "importer"),
    "submissions": ("consumer", "worker"),
    "awards": ("consumer", "worker"),
    "notifications": ("consumer", "sender"),
}
TASK_QUEUES = {"submissions": "submissions-.*", "awards": "awards-.*"}


class Layout:
    """Panels placed left to right, two per row, each 12 wide; a row header spans 24."""

    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self.y = 0
        self.x = 0

    def row(self, title: str) -> None:
        if self.x:
            self.y += 8
            self.x = 0
        self.panels.append(
            {"type": "row", "title": title, "collapsed": False, "panels": [],
             "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "id": len(self.panels) + 1}
        )  # fmt: skip
        self.y += 1

    def add(self, panel: dict[str, Any], width: int = 12) -> None:
        if self.x + width > 24:
            self.y += 8
            self.x = 0
        panel["gridPos"] = {"h": 8, "w": width, "x": self.x, "y": self.y}
        panel["id"] = len(self.panels) + 1
        self.panels.append(panel)
        self.x += width


def target(expr: str, legend: str = "", ref: str = "A") -> dict[str, Any]:
    return {"datasource": PROMETHEUS, "expr": expr, "legendFormat": legend, "refId": ref}


def timeseries(title: str, unit: str, *targets: dict[str, Any], description: str = "") -> dict:
    refs = [dict(t, refId=chr(ord("A") + i)) for i, t in enumerate(targets)]
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": PROMETHEUS,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": refs,
    }


def stat(title: str, unit: str, expr: str, description: str = "") -> dict[str, Any]:
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": PROMETHEUS,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"]}},
        "targets": [target(expr)],
    }


def dashboard(uid: str, title: str, panels: list[dict], variables: list[dict]) -> dict:
    return {
        "uid": uid,
        "title": title,
        "tags": ["ecommerce-programmes"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": variables},
        "annotations": {"list": []},
        "panels": panels,
    }


DATASOURCE_VARIABLE = {
    "name": "datasource",
    "label": "Prometheus",
    "type": "datasource",
    "query": "prometheus",
    "current": {},
    "hide": 0,
}


def operations(service: str) -> dict[str, Any]:
    s = f'service_name="{service}"'
    layout = Layout()
    layout.row("API")
    layout.add(timeseries(
        "Requests by status", "reqps",
        target(f"sum by (http_status_code) (rate(http_server_duration_milliseconds_count{{{s}}}[5m]))",
               "{{http_status_code}}"),
    ))  # fmt: skip
    layout.add(timeseries(
        "Latency (p50, p95, p99)", "ms",
        *(target(f"histogram_quantile({q}, sum by (le) (rate(http_server_duration_milliseconds_bucket{{{s}}}[5m])))",
                 f"p{round(q * 100)}") for q in (0.5, 0.95, 0.99)),
    ))  # fmt: skip
    layout.add(timeseries(
        "Slowest routes (p95)", "ms",
        target(f"topk(10, histogram_quantile(0.95, sum by (le, http_method, http_target) (rate(http_server_duration_milliseconds_bucket{{{s}}}[5m]))))",
               "{{http_method}} {{http_target}}"),
    ))  # fmt: skip
    layout.add(timeseries(
        "Requests in flight", "short",
        target(f"sum(http_server_active_requests{{{s}}})", "in flight"),
    ))  # fmt: skip
    layout.row("Relay (outbox → Kafka)")
    layout.add(timeseries(
        "Events published", "ops",
        target(f"sum(rate(outbox_published_total{{{s}}}[5m]))", "published/s"),
        target(f"sum(rate(outbox_purged_total{{{s}}}[1h]))", "purged/s (published rows past retention)"),
    ))  # fmt: skip
    layout.add(timeseries(
        "Outbox backlog", "short",
        target(f"max(outbox_backlog{{{s}}})", "unpublished rows"),
    ))  # fmt: skip
    layout.add(timeseries(
        "Oldest unpublished event", "s",
        target(f"max(outbox_backlog_age_seconds{{{s}}})", "age"),
        description="Alerts at 5 min (OutboxBacklogOld) and 30 min (OutboxBacklogCritical).",
    ))  # fmt: skip
    layout.add(timeseries(
        "Failed relay rounds", "ops",
        target(f"sum by (error_type) (rate(outbox_relay_failures_total{{{s}}}[5m]))", "{{error_type}}"),
    ))  # fmt: skip
    layout.row("Consumer (Kafka → inbox)")
    layout.add(timeseries(
        "Received, applied, duplicates", "ops",
        target(f"sum by (topic) (rate(consumer_received_total{{{s}}}[5m]))", "received {{topic}}"),
        target(f"sum(rate(consumer_processed_total{{{s}}}[5m]))", "applied"),
        target(f"sum(rate(consumer_duplicates_total{{{s}}}[5m]))", "duplicates"),
    ))  # fmt: skip
    layout.add(timeseries(
        "Lag", "short",
        target(f"max by (topic) (consumer_lag{{{s}}})", "{{topic}}"),
        description="Messages behind the end of each topic after the last commit.",
    ))  # fmt: skip
    layout.add(timeseries(
        "Dead letters and retries", "short",
        target(f"sum by (reason) (increase(consumer_dead_lettered_total{{{s}}}[1h]))", "dead-lettered ({{reason}}) /h"),
        target(f"sum by (failure) (increase(consumer_retried_total{{{s}}}[1h]))", "retried ({{failure}}) /h"),
    ))  # fmt: skip
    layout.add(timeseries(
        "Time to apply an event (p95)", "s",
        target(f"histogram_quantile(0.95, sum by (le, event_type) (rate(consumer_handle_duration_seconds_bucket{{{s}}}[5m])))",
               "{{event_type}}"),
    ))  # fmt: skip
    roles = ROLES[service]
    if "worker" in roles:
        layout.row("Worker (Temporal)")
        layout.add(timeseries(
            "Activity failures", "ops",
            target(f"sum by (activity_type, error_type) (rate(worker_activity_failures_total{{{s}}}[5m]))",
                   "{{activity_type}} {{error_type}}"),
        ))  # fmt: skip
        layout.add(timeseries(
            "Activity duration (p95)", "s",
            target(f"histogram_quantile(0.95, sum by (le, activity_type) (rate(worker_activity_duration_seconds_bucket{{{s}}}[5m])))",
                   "{{activity_type}}"),
        ))  # fmt: skip
        queues = f'namespace="{TEMPORAL_NAMESPACE}", taskqueue=~"{TASK_QUEUES[service]}"'
        layout.add(timeseries(
            "Task queue backlog age (Temporal server)", "s",
            target(f"max by (taskqueue, task_type) (approximate_backlog_age_seconds{{{queues}}})",
                   "{{taskqueue}} {{task_type}}"),
        ))  # fmt: skip
        layout.add(timeseries(
            "Workflows failed or timed out (Temporal server)", "short",
            target(f'sum by (workflowType) (increase(workflow_failed{{namespace="{TEMPORAL_NAMESPACE}"}}[1h]))',
                   "failed {{workflowType}} /h"),
            target(f'sum by (workflowType) (increase(workflow_timeout{{namespace="{TEMPORAL_NAMESPACE}"}}[1h]))',
                   "timed out {{workflowType}} /h"),
        ))  # fmt: skip
    if "importer" in roles:
        layout.row("Importer (bulk imports)")
        layout.add(timeseries(
            "Import jobs ended", "short",
            target(f"sum by (kind, status) (increase(importer_jobs_total{{{s}}}[1h]))", "{{kind}} {{status}} /h"),
        ))  # fmt: skip
        layout.add(timeseries(
            "Rows", "short",
            target(f"sum by (outcome) (increase(importer_rows_total{{{s}}}[1h]))", "{{outcome}} /h"),
        ))  # fmt: skip
        layout.add(timeseries(
            "Job duration (p95)", "s",
            target(f"histogram_quantile(0.95, sum by (le, kind) (rate(importer_job_duration_seconds_bucket{{{s}}}[1h])))",
                   "{{kind}}"),
        ))  # fmt: skip
    if "sender" in roles:
        layout.row("Sender (deliveries)")
        layout.add(timeseries(
            "Deliveries by channel and outcome", "short",
            target(f"sum by (channel, status) (increase(sender_deliveries_total{{{s}}}[1h]))",
                   "{{channel}} {{status}} /h"),
        ))  # fmt: skip
        layout.add(timeseries(
            "Share not delivered", "percentunit",
            target(f'sum by (channel) (rate(sender_deliveries_total{{{s}, status=~"retried|throttled|failed"}}[15m])) '
                   f"/ sum by (channel) (rate(sender_deliveries_total{{{s}}}[15m]))", "{{channel}}"),
            description="Alerts above 50 % for 15 min (DeliveryChannelDegraded).",
        ))  # fmt: skip
        layout.add(timeseries(
            "Reminders failed for good", "short",
            target(f'sum by (kind, channel) (increase(sender_deliveries_total{{{s}, status="failed", kind=~".*_(reminder|overdue)"}}[1h]))',
                   "{{kind}} {{channel}} /h"),
        ))  # fmt: skip
    layout.row("Process")
    layout.add(stat(
        "Working-day calendar ends with", "none", f"max(working_calendar_last_year{{{s}}})",
        description="The last year the shipped chinesecalendar covers (NextYearCalendarMissing).",
    ), width=6)  # fmt: skip
    return dashboard(
        f"ecom-ops-{service}", f"E-commerce programmes · {service} · operations", layout.panels,
        [DATASOURCE_VARIABLE],
    )  # fmt: skip


def programme() -> dict[str, Any]:
    w = 'window_id="$window_id"'
    layout = Layout()
    layout.row(
        "Annual report (10 December) and other windows: completeness at the last reminder point"
    )
    layout.add({
        "type": "bargauge",
        "title": "Completeness per city",
        "description": "Submitted over expected per city, as the deadline clock counted it at "
                       "its last reminder point (submissions_window_completeness_ratio). "
                       "Live figures: GET /v1/windows/{id}/completeness.",
        "datasource": PROMETHEUS,
        "fieldConfig": {"defaults": {"unit": "percentunit", "min": 0, "max": 1, "thresholds": {
            "mode": "absolute", "steps": [{"color": "red", "value": None},
                                          {"color": "orange", "value": 0.6},
                                          {"color": "green", "value": 0.8}]}}, "overrides": []},
        "options": {"orientation": "horizontal", "displayMode": "gradient",
                    "reduceOptions": {"calcs": ["lastNotNull"]}},
        "targets": [target(f'max by (region_code) (submissions_window_completeness_ratio{{{w}, level="city"}})',
                           "{{region_code}}")],
    })  # fmt: skip
    layout.add({
        "type": "table",
        "title": "Expected and submitted per city",
        "datasource": PROMETHEUS,
        "fieldConfig": {"defaults": {}, "overrides": []},
        "options": {"showHeader": True},
        "transformations": [{"id": "merge", "options": {}}],
        "targets": [
            dict(target(f'max by (region_code) (submissions_window_expected{{{w}, level="city"}})', "expected"),
                 format="table", instant=True),
            dict(target(f'max by (region_code) (submissions_window_submitted{{{w}, level="city"}})', "submitted", "B"),
                 format="table", instant=True),
        ],
    })  # fmt: skip
    layout.add(stat(
        "Province completeness", "percentunit",
        f'max(submissions_window_completeness_ratio{{{w}, level="province"}})',
    ), width=8)  # fmt: skip
    layout.add(stat(
        "Due in", "s", f"max(submissions_window_due_time_seconds{{{w}}}) - time()",
        description="Negative once the window is due.",
    ), width=8)  # fmt: skip
    layout.add(stat(
        "Reminders failed for good (24 h)", "short",
        'sum(increase(sender_deliveries_total{status="failed", kind=~"deadline_.*"}[24h]))',
    ), width=8)  # fmt: skip
    layout.row("Target progress (registry API, live)")
    layout.add({
        "type": "table",
        "title": "Targets: where each stands",
        "description": "GET /v1/programmes/{id}/progress on the registry, through the Infinity "
                       "data source `registry_api` (its base URL and bearer token; "
                       "docs/observability.md).",
        "datasource": INFINITY,
        "fieldConfig": {"defaults": {}, "overrides": [
            {"matcher": {"id": "byName", "options": "share met"},
             "properties": [{"id": "unit", "value": "percentunit"},
                            {"id": "custom.cellOptions", "value": {"type": "gauge"}}]}]},
        "options": {"showHeader": True},
        "targets": [{
            "refId": "A", "datasource": INFINITY, "type": "json", "source": "url", "format": "table",
            "url": "/v1/programmes/$programme_id/progress", "url_options": {"method": "GET"},
            "root_selector": "targets",
            "columns": [
                {"selector": "name", "text": "target", "type": "string"},
                {"selector": "target", "text": "goal", "type": "number"},
                {"selector": "current", "text": "current", "type": "number"},
                {"selector": "share_met", "text": "share met", "type": "number"},
                {"selector": "met", "text": "met", "type": "boolean"},
            ],
        }],
    }, width=24)  # fmt: skip
    layout.add({
        "type": "table",
        "title": "Targets per city",
        "datasource": INFINITY,
        "fieldConfig": {"defaults": {}, "overrides": []},
        "options": {"showHeader": True},
        "targets": [{
            "refId": "A", "datasource": INFINITY, "type": "json", "source": "url", "format": "table",
            "url": "/v1/programmes/$programme_id/progress",
            "url_options": {"method": "GET", "params": [{"key": "by", "value": "city"}]},
            "parser": "backend",
            "root_selector": "targets.by_area",
            "columns": [
                {"selector": "region_code", "text": "region", "type": "string"},
                {"selector": "name", "text": "city", "type": "string"},
                {"selector": "current", "text": "current", "type": "number"},
                {"selector": "share_met", "text": "share met", "type": "number"},
            ],
        }],
    }, width=24)  # fmt: skip
    variables = [
        DATASOURCE_VARIABLE,
        {"name": "registry_api", "label": "Registry API", "type": "datasource",
         "query": "yesoreyeram-infinity-datasource", "current": {}, "hide": 0},
        {"name": "window_id", "label": "Window", "type": "query", "datasource": PROMETHEUS,
         "query": {"query": "label_values(submissions_window_due_time_seconds, window_id)",
                   "refId": "window_id"},
         "refresh": 2, "sort": 2, "current": {}, "hide": 0},
        {"name": "programme_id", "label": "Programme", "type": "custom",
         "query": "guizhou-shibaiqianwan-2023,qinghai-2024-2026,qingdao-2014",
         "current": {"text": "guizhou-shibaiqianwan-2023", "value": "guizhou-shibaiqianwan-2023"},
         "hide": 0},
    ]  # fmt: skip
    return dashboard(
        "ecom-programme", "E-commerce programmes · programme", layout.panels, variables
    )


def render() -> dict[str, str]:
    boards = {f"operations-{service}.json": operations(service) for service in ROLES}
    boards["programme.json"] = programme()
    return {
        name: json.dumps(board, ensure_ascii=False, indent=2) + "\n"
        for name, board in boards.items()
    }


def main(argv: list[str]) -> int:
    stale = []
    for name, text in render().items():
        path = OUT / name
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale dashboards (run {Path(__file__).name}): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
