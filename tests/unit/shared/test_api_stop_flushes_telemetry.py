"""An API process stopped as Kubernetes stops a pod (SIGTERM) sends its last spans and metrics
before it exits. uvicorn stops gracefully, then raises the signal again with the handler it found;
with the default one the process died there, before the OpenTelemetry SDK's exit hooks ran, so
every rollout and scale-down lost the spans still queued (up to 5 s of them) and the metrics
since their last export (up to a minute). The process here is ``run_api`` itself; the receiving
end is the benchmarks' stand-in Collector, which decodes and counts what the SDK's OTLP/HTTP
exporters send."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from benchmarks.common import free_port
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
    return FastAPI()

run_api(
    ServiceSettings(
        environment="test", database_url="postgresql://unused", kafka_bootstrap_servers="unused",
        http_host="127.0.0.1", http_port=int(sys.argv[1]),
    ),
    app,
)
"""


def _serving(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the API did not start")


def test_sigterm_sends_the_queued_spans_and_the_metrics_then_exits_cleanly() -> None:
    collector = StandInCollector(free_port())
    port = free_port()
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        # Nothing leaves on a timer during the test: only the stop can send the span.
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
        "OTEL_METRIC_EXPORT_INTERVAL": "600000",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", API, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _serving(port, process)
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=60)
    finally:
        process.kill()
        received = collector.stop()
    assert returncode == 0
    assert received.counts["spans"] == 1
    assert received.counts["metric_points"] > 0  # the process metrics, exported once at exit
