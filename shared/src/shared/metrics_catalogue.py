"""The catalogue of the services' metrics: each one's name, kind, unit, attributes and role, and
the library metrics the rules and dashboards rely on. ``shared.metrics`` makes the instruments
from it and records them; ``tests/unit/observability`` checks the alert rules, the dashboards
and docs/observability.md against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["counter", "histogram", "gauge", "updowncounter"]
Role = Literal["api", "relay", "consumer", "worker", "importer", "sender", "any", "replay"]

# Seconds: from a fast handler to a long import (the SDK's default buckets are milliseconds).
SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: Kind
    unit: str
    description: str
    attributes: tuple[str, ...] = ()
    role: Role = "any"


METRICS: tuple[MetricSpec, ...] = (
    # relay (shared.messaging.relay)
    MetricSpec("outbox.published", "counter", "{event}", "Events relayed to Kafka", (), "relay"),
    MetricSpec(
        "outbox.relay.failures", "counter", "{round}",
        "Relay rounds that failed (Kafka or PostgreSQL) and were retried", ("error.type",), "relay",
    ),
    MetricSpec("outbox.purged", "counter", "{event}", "Published outbox rows deleted", (), "relay"),
    MetricSpec(
        "outbox.backlog", "gauge", "{event}", "Unpublished outbox rows at the last measurement",
        (), "relay",
    ),
    MetricSpec(
        "outbox.backlog.age", "gauge", "s",
        "Age of the oldest unpublished outbox row at the last measurement (0 when none)", (),
        "relay",
    ),
    # consumer (shared.messaging.consumer)
    MetricSpec(
        "consumer.received", "counter", "{message}", "Records read from Kafka",
        ("consumer", "topic"), "consumer",
    ),
    MetricSpec(
        "consumer.processed", "counter", "{event}", "Events applied (effect and inbox row committed)",
        ("consumer", "event_type"), "consumer",
    ),
    MetricSpec(
        "consumer.duplicates", "counter", "{event}",
        "Events skipped because the inbox already held them (redeliveries)",
        ("consumer", "event_type"), "consumer",
    ),
    MetricSpec(
        "consumer.retried", "counter", "{attempt}", "Failed attempts that were retried",
        ("consumer", "failure", "error.type"), "consumer",
    ),
    MetricSpec(
        "consumer.dead_lettered", "counter", "{event}",
        "Records sent to the consumer's dead-letter topic", ("consumer", "topic", "reason"),
        "consumer",
    ),
    MetricSpec(
        "consumer.lag", "gauge", "{message}",
        "Messages behind the high watermark after the last commit, per topic",
        ("consumer", "topic"), "consumer",
    ),
    MetricSpec(
        "consumer.handle.duration", "histogram", "s",
        "Time to apply one event (transaction included; retries not)",
        ("consumer", "event_type"), "consumer",
    ),
    # ecom-dlq replay (shared.messaging.dlq)
    MetricSpec(
        "dlq.replayed", "counter", "{event}", "Dead letters re-published to their topic",
        ("topic",), "replay",
    ),
    # worker (shared.service.worker)
    MetricSpec(
        "worker.activity.duration", "histogram", "s", "Activity executions, by outcome",
        ("activity_type", "task_queue", "outcome"), "worker",
    ),
    MetricSpec(
        "worker.activity.failures", "counter", "{execution}",
        "Activity executions that raised (Temporal retries them by their policy)",
        ("activity_type", "task_queue", "error.type"), "worker",
    ),
    # importer (registry)
    MetricSpec(
        "importer.jobs", "counter", "{job}", "Import jobs ended", ("kind", "mode", "status"),
        "importer",
    ),
    MetricSpec(
        "importer.rows", "counter", "{row}",
        "Rows of ended import jobs: loaded (or, in a dry run, that would load), skipped "
        "(already present), rejected (bad)",
        ("kind", "mode", "outcome"), "importer",
    ),
    MetricSpec(
        "importer.job.duration", "histogram", "s", "From an import job's start to its end",
        ("kind", "mode", "status"), "importer",
    ),
    # sender (notifications)
    MetricSpec(
        "sender.deliveries", "counter", "{attempt}",
        "Delivery attempts settled: sent, retried (queued again after a failure), throttled, "
        "or failed (for good: the province may re-send)",
        ("channel", "kind", "status"), "sender",
    ),
    # worker (submissions deadline clock)
    MetricSpec(
        "submissions.window.expected", "gauge", "{report}",
        "Reporters expected in a window, at its last clock point", ("window_id", "level", "region_code"),
        "worker",
    ),
    MetricSpec(
        "submissions.window.submitted", "gauge", "{report}",
        "Reporters who submitted, at the window's last clock point",
        ("window_id", "level", "region_code"), "worker",
    ),
    MetricSpec(
        "submissions.window.completeness", "gauge", "1",
        "Submitted over expected (0 to 1; 1 when nobody is expected) at the last clock point",
        ("window_id", "level", "region_code"), "worker",
    ),
    MetricSpec(
        "submissions.window.due_time", "gauge", "s",
        "The window's due time, seconds since the Unix epoch", ("window_id",), "worker",
    ),
    # every process (shared.telemetry)
    MetricSpec(
        "working_calendar.last_year", "gauge", "{year}",
        "The last year the shipped chinesecalendar package covers", (), "any",
    ),
)  # fmt: skip

# The HTTP server metrics, under OpenTelemetry's names: shared.service.server_span records them
# as opentelemetry-instrumentation-fastapi 0.59b0 did (checked by
# tests/unit/observability/test_server_span.py and test_metrics_recorded.py).
INSTRUMENTATION: tuple[MetricSpec, ...] = (
    MetricSpec(
        "http.server.duration",
        "histogram",
        "ms",
        "shared.service.server_span (as opentelemetry-instrumentation-fastapi)",
        ("http.method", "http.status_code", "http.target"),
        "api",
    ),
    MetricSpec(
        "http.server.active_requests",
        "updowncounter",
        "{request}",
        "shared.service.server_span (as opentelemetry-instrumentation-fastapi)",
        ("http.method",),
        "api",
    ),
    MetricSpec(
        "http.server.response.size",
        "histogram",
        "By",
        "shared.service.server_span (as opentelemetry-instrumentation-fastapi)",
        ("http.method", "http.status_code", "http.target"),
        "api",
    ),
)
