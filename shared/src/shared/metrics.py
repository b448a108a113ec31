"""Every metric the services emit, defined once, with the small functions that record them.

The instruments are made here from ``METRICS`` (``shared.metrics_catalogue``: name, kind, unit,
attributes) and recorded only through the functions below, so the alert rules and dashboards in
``deploy/observability/`` can be checked against one list (``tests/unit/observability``). The SDK and the exporter are set up
by ``shared.telemetry.setup_telemetry``; until then the instruments record into the API's
no-op provider, so importing this module costs nothing and tests need no set-up.

Names are OpenTelemetry names. The Collector's Prometheus exporter turns them into Prometheus
names: dots become underscores, the unit is appended (``s`` -> ``_seconds``; a ``{thing}``
annotation adds nothing; a gauge of unit ``1`` gets ``_ratio``) and counters end in ``_total``
(``outbox.published`` -> ``outbox_published_total``; docs/observability.md lists them all).

Attribute values are bounded sets (an event type, a channel, a region code of a window's
roster, an error class name), never ids of requests or records, except ``window_id``: a
handful of reporting windows a year.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from shared.metrics_catalogue import (
    INSTRUMENTATION,
    METRICS,
    SECONDS_BUCKETS,
    MetricSpec,
)

SPECS = {spec.name: spec for spec in METRICS}
_meter = metrics.get_meter("shared.metrics")


def _counter(name: str) -> metrics.Counter:
    spec = SPECS[name]
    return _meter.create_counter(spec.name, unit=spec.unit, description=spec.description)


def _histogram(name: str) -> metrics.Histogram:
    spec = SPECS[name]
    return _meter.create_histogram(
        spec.name,
        unit=spec.unit,
        description=spec.description,
        explicit_bucket_boundaries_advisory=SECONDS_BUCKETS if spec.unit == "s" else None,
    )


class _Gauges:
    """Last values by attribute set, observed at each export; thread-safe (the SDK's reader
    runs the callbacks in its own thread)."""

    def __init__(self, name: str) -> None:
        spec = SPECS[name]
        self._values: dict[tuple[tuple[str, Any], ...], float] = {}
        self._lock = threading.Lock()
        _meter.create_observable_gauge(
            spec.name, callbacks=[self._observe], unit=spec.unit, description=spec.description
        )

    def set(self, value: float, attributes: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            self._values[tuple(sorted((attributes or {}).items()))] = value

    def values(self) -> list[tuple[dict[str, Any], float]]:
        with self._lock:
            return [(dict(key), value) for key, value in self._values.items()]

    def drop(self, keep: Callable[[dict[str, Any]], bool]) -> None:
        """Forget the series whose attributes ``keep`` refuses."""
        with self._lock:
            for key in [key for key in self._values if not keep(dict(key))]:
                del self._values[key]

    def _observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        with self._lock:
            return [Observation(value, dict(key)) for key, value in self._values.items()]


_published = _counter("outbox.published")
_relay_failures = _counter("outbox.relay.failures")
_purged = _counter("outbox.purged")
_backlog = _Gauges("outbox.backlog")
_backlog_age = _Gauges("outbox.backlog.age")
_received = _counter("consumer.received")
_processed = _counter("consumer.processed")
_duplicates = _counter("consumer.duplicates")
_retried = _counter("consumer.retried")
_dead_lettered = _counter("consumer.dead_lettered")
_lag = _Gauges("consumer.lag")
_handle_duration = _histogram("consumer.handle.duration")
_replayed = _counter("dlq.replayed")
_activity_duration = _histogram("worker.activity.duration")
_activity_failures = _counter("worker.activity.failures")
_import_jobs = _counter("importer.jobs")
_import_rows = _counter("importer.rows")
_import_duration = _histogram("importer.job.duration")
_deliveries = _counter("sender.deliveries")
_window_expected = _Gauges("submissions.window.expected")
_window_submitted = _Gauges("submissions.window.submitted")
_window_completeness = _Gauges("submissions.window.completeness")
_window_due = _Gauges("submissions.window.due_time")


# --- relay ------------------------------------------------------------------------------------


def record_published(count: int) -> None:
    _published.add(count)


def record_relay_failure(error: BaseException) -> None:
    _relay_failures.add(1, {"error.type": type(error).__name__})


def record_purged(count: int) -> None:
    _purged.add(count)


def set_outbox_backlog(rows: int, oldest_age_seconds: float) -> None:
    _backlog.set(rows)
    _backlog_age.set(max(oldest_age_seconds, 0.0))


# --- consumer ---------------------------------------------------------------------------------


def record_received(consumer: str, topic: str) -> None:
    _received.add(1, {"consumer": consumer, "topic": topic})


def record_handled(consumer: str, event_type: str, *, applied: bool, seconds: float) -> None:
    """One event handled: applied, or skipped as a duplicate the inbox already held."""
    attributes = {"consumer": consumer, "event_type": event_type}
    (_processed if applied else _duplicates).add(1, attributes)
    _handle_duration.record(seconds, attributes)


def record_retried(consumer: str, failure: str, error: BaseException) -> None:
    _retried.add(1, {"consumer": consumer, "failure": failure, "error.type": type(error).__name__})


def record_dead_lettered(consumer: str, topic: str, reason: str) -> None:
    """``reason``: ``poison`` (dead-lettered at once) or ``exhausted`` (after max attempts)."""
    _dead_lettered.add(1, {"consumer": consumer, "topic": topic, "reason": reason})


def set_consumer_lag(consumer: str, topic: str, lag: int) -> None:
    _lag.set(lag, {"consumer": consumer, "topic": topic})


# --- ecom-dlq -----------------------------------------------------------------------------------


def record_replayed(dead_letter_topic: str) -> None:
    _replayed.add(1, {"topic": dead_letter_topic})


# --- worker -------------------------------------------------------------------------------------


def record_activity(
    activity_type: str, task_queue: str, seconds: float, error: BaseException | None = None
) -> None:
    """One activity execution; ``error`` when it raised (a retry is a new execution)."""
    outcome = "succeeded" if error is None else "failed"
    base = {"activity_type": activity_type, "task_queue": task_queue}
    _activity_duration.record(seconds, {**base, "outcome": outcome})
    if error is not None:
        _activity_failures.add(1, {**base, "error.type": type(error).__name__})


# --- importer (registry) ----------------------------------------------------------------------


def record_import_job(job: Mapping[str, Any]) -> None:
    """An ended import job, as ``import_jobs`` holds it (kind, mode, status, row counts,
    started_at, finished_at)."""
    labels = {"kind": str(job["kind"]), "mode": str(job["mode"])}
    status = str(job["status"])
    _import_jobs.add(1, {**labels, "status": status})
    for outcome, column in (
        ("loaded", "loaded_rows"),
        ("skipped", "skipped_rows"),
        ("rejected", "error_rows"),
    ):
        if job.get(column):
            _import_rows.add(int(job[column]), {**labels, "outcome": outcome})
    started, finished = job.get("started_at"), job.get("finished_at")
    if isinstance(started, dt.datetime) and isinstance(finished, dt.datetime):
        seconds = max((finished - started).total_seconds(), 0.0)
        _import_duration.record(seconds, {**labels, "status": status})


# --- sender (notifications) -------------------------------------------------------------------

SENT_RESULTS = frozenset({"sent", "delivered"})


def record_delivery(channel: str, kind: str, result: str, status: str) -> None:
    """One delivery attempt settled: the channel's ``result`` (sent, delivered, retry,
    throttled, failed) and the delivery's ``status`` after it (queued again, or final)."""
    if result in SENT_RESULTS:
        outcome = "sent"
    elif status == "failed":
        outcome = "failed"
    elif result == "throttled":
        outcome = "throttled"
    else:
        outcome = "retried"
    _deliveries.add(1, {"channel": channel, "kind": kind, "status": outcome})


# --- submissions (deadline clock) -------------------------------------------------------------


class _CompletenessRow(Protocol):
    @property
    def region_code(self) -> str: ...
    @property
    def expected(self) -> int: ...
    @property
    def submitted(self) -> int: ...


class _Completeness(Protocol):
    @property
    def province(self) -> _CompletenessRow: ...
    @property
    def cities(self) -> tuple[_CompletenessRow, ...]: ...
    @property
    def counties(self) -> tuple[_CompletenessRow, ...]: ...


# A window's series are kept this long after its due time (the dashboards show how it ended),
# then dropped, so that a long-running worker does not export every past window for ever.
WINDOW_SERIES_KEPT = dt.timedelta(days=30)


def record_window_completeness(window_id: str, due_at: dt.datetime, counts: _Completeness) -> None:
    """A window's completeness per level and region as the deadline clock counted it."""
    levels = (
        ("province", (counts.province,)),
        ("city", counts.cities),
        ("county", counts.counties),
    )
    for level, rows in levels:
        for row in rows:
            labels = {"window_id": window_id, "level": level, "region_code": row.region_code}
            _window_expected.set(row.expected, labels)
            _window_submitted.set(row.submitted, labels)
            _window_completeness.set(row.submitted / row.expected if row.expected else 1.0, labels)
    _window_due.set(due_at.timestamp(), {"window_id": window_id})
    _forget_windows_due_before(dt.datetime.now(dt.UTC) - WINDOW_SERIES_KEPT)


def _forget_windows_due_before(limit: dt.datetime) -> None:
    cutoff = limit.timestamp()
    old = {labels["window_id"] for labels, due in _window_due.values() if due < cutoff}
    if old:
        for gauges in (_window_due, _window_expected, _window_submitted, _window_completeness):
            gauges.drop(lambda labels: labels.get("window_id") not in old)


# --- every process ------------------------------------------------------------------------------

_process_metrics_installed = False


def install_process_metrics() -> None:
    """Gauges every process exports (once per process; ``setup_telemetry`` calls it)."""
    global _process_metrics_installed
    if _process_metrics_installed:
        return
    _process_metrics_installed = True
    spec = SPECS["working_calendar.last_year"]
    _meter.create_observable_gauge(
        spec.name, callbacks=[_calendar_year], unit=spec.unit, description=spec.description
    )


def last_calendar_year() -> int:
    """The last year the installed ``chinesecalendar`` knows the holidays of."""
    import chinese_calendar  # loaded only when the gauge is first observed

    return max(day.year for day in chinese_calendar.holidays)


def _calendar_year(_options: CallbackOptions) -> Iterable[Observation]:
    return [Observation(last_calendar_year())]


__all__ = [
    "INSTRUMENTATION",
    "METRICS",
    "SPECS",
    "MetricSpec",
    "install_process_metrics",
    "last_calendar_year",
    "record_activity",
    "record_dead_lettered",
    "record_delivery",
    "record_handled",
    "record_import_job",
    "record_published",
    "record_purged",
    "record_received",
    "record_relay_failure",
    "record_replayed",
    "record_retried",
    "record_window_completeness",
    "set_consumer_lag",
    "set_outbox_backlog",
]
