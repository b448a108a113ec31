"""The real Collector, with deploy/observability/otel-collector.yaml: every metric of
``shared.metrics`` and the HTTP server metrics (``shared.service.server_span``), exported by the SDK as the services export
it, reaches Prometheus under the name ``naming.py`` predicts (the name every rule and panel is
checked against), with the resource labels the rules group by.

Runs when deploy/observability/install-collector.sh has built the collector (about 15 minutes
the first time; cached in .local/bin); skipped otherwise. The collector runs in a child
process of its own, on loopback ports below the ephemeral range, and is stopped afterwards.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.metrics import INSTRUMENTATION, METRICS
from tests.unit.observability.naming import series_names

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "deploy" / "observability" / "otel-collector.yaml"
PORTS = range(24300, 24400)
DEADLINE_SECONDS = 60.0


def _collector() -> Path | None:
    found = sorted((ROOT / ".local" / "bin").glob("otelcol-ecom-*"))
    return found[-1] if found else None


def _free_ports(count: int) -> list[int]:
    ports = []
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError(f"no {count} free ports in {PORTS}")


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return str(answer.read().decode())
    except OSError:
        return None


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    binary = _collector()
    if binary is None:
        pytest.skip("collector not built: deploy/observability/install-collector.sh")
    grpc, http, prometheus, health, traces = _free_ports(5)
    config = CONFIG.read_text(encoding="utf-8")
    for public, local in (
        ("0.0.0.0:4317", grpc),
        ("0.0.0.0:4318", http),
        ("0.0.0.0:8889", prometheus),
        ("0.0.0.0:13133", health),
    ):
        assert public in config
        config = config.replace(public, f"127.0.0.1:{local}")
    path = tmp_path_factory.mktemp("collector") / "config.yaml"
    path.write_text(config, encoding="utf-8")
    process = subprocess.Popen(
        [str(binary), "--config", str(path)],
        env={"OTLP_TRACES_ENDPOINT": f"127.0.0.1:{traces}", "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while _get(f"http://127.0.0.1:{health}/") is None:
            assert process.poll() is None, "the collector exited at start"
            assert time.monotonic() < deadline, "the collector did not become healthy"
            time.sleep(0.2)
        yield {"http": http, "prometheus": prometheus}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# The SDK's global providers can be set once per process: the metrics are exported by a child
# Python process, as a service would.
EXPORTER = """
import os, sys
from opentelemetry import metrics as otel
from fastapi import FastAPI
from fastapi.testclient import TestClient
from shared.service.server_span import install_server_spans
from shared.telemetry import setup_telemetry
setup_telemetry("submissions")
from tests.unit.observability.test_metrics_recorded import record_everything
record_everything()
app = FastAPI()
@app.get("/v1/things/{thing_id}")
def thing(thing_id: str) -> dict:
    return {}
install_server_spans(app)
TestClient(app).get("/v1/things/1")
otel.get_meter_provider().force_flush()
"""


def test_every_metric_arrives_under_the_predicted_name(collector: dict[str, int]) -> None:
    environment = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector['http']}",
        "OTEL_RESOURCE_ATTRIBUTES": "service.namespace=ecommerce-programmes,"
        "ecom.process.role=worker,k8s.pod.name=submissions-worker-0,"
        "k8s.namespace.name=ecommerce-programmes",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run(
        [sys.executable, "-c", EXPORTER], env=environment, check=True, timeout=120, cwd=ROOT
    )
    expected = set().union(*(series_names(spec) for spec in (*METRICS, *INSTRUMENTATION)))
    url = f"http://127.0.0.1:{collector['prometheus']}/metrics"
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:  # the batch processor sends every 5 s
        body = _get(url) or ""
        names = {
            match.group(1)
            for line in body.splitlines()
            if (match := re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)) and not line.startswith("#")
        }
        if expected <= names or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert expected - names == set(), f"not exported under these names: {expected - names}"
    line = next(line for line in body.splitlines() if line.startswith("outbox_backlog_age_seconds"))
    for label in (
        'service_name="submissions"',
        'ecom_process_role="worker"',
        'k8s_pod_name="submissions-worker-0"',
        'job="ecommerce-programmes/submissions"',
    ):
        assert label in line, line
    assert "telemetry_sdk" not in body  # dropped by the resource processor
