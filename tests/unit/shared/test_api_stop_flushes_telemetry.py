"""An API process stopped as Kubernetes stops a pod (SIGTERM) sends its last spans and metrics
before it exits. uvicorn stops gracefully, then raises the signal again with the handler it found;
with the default one the process died there, before the OpenTelemetry SDK's exit hooks ran, so
every rollout and scale-down lost the spans still queued (up to 5 s of them) and the metrics
since their last export (up to a minute). The process here is ``run_api`` itself; the receiving
end is the benchmarks' stand-in Collector, which decodes and counts what the SDK's OTLP/HTTP
exporters send."""

from __future__ import annotations

import signal

from benchmarks.common import free_port, start_api_process
from benchmarks.otlp_sink import StandInCollector

# One span recorded as the app is built, then the API served as in a pod.
API = """
import sys
from fastapi import FastAPI
from opentelemetry import trace
from shared.service.entrypoints import run_api
from shared.settings import ServiceSettings

def app(settings):
    trace.get_tracer("test").start_span("recorded before the stop").end()
    api = FastAPI()
    api.get("/healthz")(lambda: {})  # what start_api_process waits for
    return api

run_api(
    ServiceSettings(
        environment="test", database_url="postgresql://unused", kafka_bootstrap_servers="unused",
        http_host="127.0.0.1", http_port=int(sys.argv[1]),
    ),
    app,
)
"""


def test_sigterm_sends_the_queued_spans_and_the_metrics_then_exits_cleanly() -> None:
    collector = StandInCollector(free_port())
    port = free_port()
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        # Nothing leaves on a timer during the test: only the stop can send the span.
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
        "OTEL_METRIC_EXPORT_INTERVAL": "600000",
    }
    process = None
    try:
        process = start_api_process(["-c", API, str(port)], env, port=port, name="stopped")
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=60)
    finally:
        if process is not None:
            process.kill()  # a no-op once it has exited
        received = collector.stop()
    assert returncode == 0
    assert received.counts["spans"] == 1
    assert received.counts["metric_points"] > 0  # the process metrics, exported once at exit
