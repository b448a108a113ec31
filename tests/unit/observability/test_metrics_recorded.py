"""What ``shared.metrics`` records: every instrument under its declared name, kind, unit and
attributes (so that ``METRICS``, which the rule and dashboard checks trust, says what the code
does), and the HTTP server metrics (``shared.service.server_span``) as ``INSTRUMENTATION`` documents
them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    InMemoryMetricReader,
    Metric,
    Sum,
)

import shared.metrics
from shared.metrics import INSTRUMENTATION, METRICS, SPECS
from shared.service.server_span import install_server_spans
from tests.support.metric_reader import metric_reader


@pytest.fixture
def reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryMetricReader]:
    """``shared.metrics`` rebuilt on a provider of this test's own (the global one can be set
    only once per process), and rebuilt as it was afterwards."""
    yield from metric_reader(monkeypatch)


def collected(reader: InMemoryMetricReader) -> dict[str, Metric]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


def kind_of(metric: Metric) -> str:
    if isinstance(metric.data, Histogram):
        return "histogram"
    if isinstance(metric.data, Gauge):
        return "gauge"
    assert isinstance(metric.data, Sum)
    return "counter" if metric.data.is_monotonic else "updowncounter"


def points(metric: Metric) -> list[tuple[dict[str, Any], Any]]:
    return [
        (dict(point.attributes or {}), getattr(point, "value", getattr(point, "sum", None)))
        for point in metric.data.data_points
    ]


@dataclass(frozen=True)
class Row:
    region_code: str
    expected: int
    submitted: int


@dataclass(frozen=True)
class Counts:
    province: Row
    cities: tuple[Row, ...]
    counties: tuple[Row, ...]


def record_everything() -> None:
    m = shared.metrics
    m.record_published(5)
    m.record_relay_failure(ConnectionError("kafka away"))
    m.record_purged(7)
    m.set_outbox_backlog(3, 42.5)
    m.record_received("notifications", "registry.enterprise")
    m.record_handled("notifications", "registry.enterprise.registered", applied=True, seconds=0.02)
    m.record_handled("notifications", "registry.enterprise.registered", applied=False, seconds=0.01)
    m.record_retried("notifications", "transient", TimeoutError())
    m.record_dead_lettered("notifications", "registry.enterprise", "poison")
    m.set_consumer_lag("notifications", "registry.enterprise", 12)
    m.record_replayed("dlq.notifications")
    m.record_activity("submissions.clock_tick", "submissions-clock", 0.3)
    m.record_activity("submissions.clock_tick", "submissions-clock", 0.1, RuntimeError("x"))
    started = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    m.record_import_job({
        "kind": "stores", "mode": "good_rows", "status": "succeeded", "loaded_rows": 90,
        "skipped_rows": 5, "error_rows": 3, "started_at": started,
        "finished_at": started + dt.timedelta(seconds=75),
    })  # fmt: skip
    m.record_delivery("email", "deadline_reminder", "sent", "sent")
    m.record_window_completeness(
        "guizhou:annual-report:2099",
        dt.datetime(2099, 12, 10, 16, tzinfo=dt.UTC),
        Counts(Row("520000", 10, 6), (Row("520100", 4, 4), Row("520200", 0, 0)), ()),
    )
    m.install_process_metrics()


def test_every_metric_is_recorded_as_declared(reader: InMemoryMetricReader) -> None:
    record_everything()
    found = collected(reader)
    assert set(found) == {spec.name for spec in METRICS}
    for spec in METRICS:
        metric = found[spec.name]
        assert kind_of(metric) == spec.kind, spec.name
        assert metric.unit == spec.unit, spec.name
        assert metric.description == spec.description, spec.name
        for attributes, _value in points(metric):
            assert set(attributes) == set(spec.attributes), (spec.name, attributes)


def test_the_values_recorded(reader: InMemoryMetricReader) -> None:
    record_everything()
    found = collected(reader)
    assert points(found["outbox.backlog.age"]) == [({}, 42.5)]
    assert points(found["consumer.processed"])[0][1] == 1
    assert points(found["consumer.duplicates"])[0][1] == 1
    assert points(found["consumer.dead_lettered"]) == [
        ({"consumer": "notifications", "topic": "registry.enterprise", "reason": "poison"}, 1)
    ]
    assert dict((a["outcome"], v) for a, v in points(found["importer.rows"])) == {
        "loaded": 90,
        "skipped": 5,
        "rejected": 3,
    }
    assert points(found["importer.job.duration"])[0][1] == 75
    assert points(found["worker.activity.failures"]) == [
        (
            {
                "activity_type": "submissions.clock_tick",
                "task_queue": "submissions-clock",
                "error.type": "RuntimeError",
            },
            1,
        )
    ]
    completeness = {
        a["region_code"]: v for a, v in points(found["submissions.window.completeness"])
    }
    assert completeness == {"520000": 0.6, "520100": 1.0, "520200": 1.0}  # nobody expected: 1
    assert (
        points(found["submissions.window.due_time"])[0][1]
        == dt.datetime(2099, 12, 10, 16, tzinfo=dt.UTC).timestamp()
    )
    assert points(found["working_calendar.last_year"])[0][1] == shared.metrics.last_calendar_year()


@pytest.mark.parametrize(
    ("result", "status", "outcome"),
    [
        ("sent", "sent", "sent"),
        ("delivered", "delivered", "sent"),
        ("retry", "queued", "retried"),
        ("retry", "failed", "failed"),  # the last attempt
        ("failed", "failed", "failed"),
        ("throttled", "queued", "throttled"),
    ],
)
def test_a_delivery_is_counted_by_what_became_of_it(
    reader: InMemoryMetricReader, result: str, status: str, outcome: str
) -> None:
    shared.metrics.record_delivery("wecom", "deadline_overdue", result, status)
    [(attributes, value)] = points(collected(reader)["sender.deliveries"])
    assert attributes == {"channel": "wecom", "kind": "deadline_overdue", "status": outcome}
    assert value == 1


def test_a_windows_series_are_dropped_a_month_after_it_was_due(
    reader: InMemoryMetricReader,
) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=40)
    counts = Counts(Row("520000", 2, 1), (), ())
    shared.metrics.record_window_completeness("old-window", long_ago, counts)
    shared.metrics.record_window_completeness(
        "new-window", dt.datetime.now(dt.UTC) + dt.timedelta(days=3), counts
    )
    windows = {a["window_id"] for a, _ in points(collected(reader)["submissions.window.due_time"])}
    assert windows == {"new-window"}


def test_import_jobs_without_times_are_still_counted(reader: InMemoryMetricReader) -> None:
    shared.metrics.record_import_job(
        {"kind": "residents", "mode": "dry_run", "status": "failed", "loaded_rows": 0}
    )
    found = collected(reader)
    assert points(found["importer.jobs"]) == [
        ({"kind": "residents", "mode": "dry_run", "status": "failed"}, 1)
    ]
    assert "importer.job.duration" not in found


def test_the_server_spans_emit_the_documented_names() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    app = FastAPI()

    @app.get("/v1/things/{thing_id}")
    def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    install_server_spans(app, meter_provider=provider)
    TestClient(app).get("/v1/things/1")
    found = collected(reader)
    for spec in INSTRUMENTATION:
        metric = found[spec.name]
        assert kind_of(metric) == spec.kind, spec.name
        assert metric.unit == spec.unit, spec.name
        for attributes, _value in points(metric):
            assert set(spec.attributes) <= set(attributes), (spec.name, attributes)
    duration = points(found["http.server.duration"])
    assert duration[0][0]["http.target"] == "/v1/things/{thing_id}"  # the route, not the path
    provider.shutdown()


def test_specs_are_indexed_by_name() -> None:
    assert all(SPECS[spec.name] is spec for spec in METRICS)
