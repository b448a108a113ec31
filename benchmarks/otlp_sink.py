"""A stand-in for the OpenTelemetry Collector's OTLP/HTTP receiver, for sizing what exporting
costs the process that exports.

In a deployment the Collector runs in pods of its own (``deploy/observability``), so what it does
with the data is not the API's cost; what is the API's cost is encoding the spans and metrics as
protobuf and sending them, on the SDK's export threads. This receiver answers every export as
the Collector does (200, an empty ``Export*ServiceResponse``) and decodes what it gets, so a run
can say that the spans arrived, and how many. It writes its counts as JSON to the file named in
its arguments when it is stopped (SIGTERM).

    python -m benchmarks.otlp_sink PORT COUNTS_FILE

``StandInCollector`` starts one from a benchmark and reads its counts and CPU when it stops.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

COUNTS: dict[str, int] = {"requests": 0, "bytes": 0, "spans": 0, "metric_points": 0, "refused": 0}
_LOCK = threading.Lock()


def _spans(body: bytes) -> int:
    request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
    return sum(
        len(scope.spans) for resource in request.resource_spans for scope in resource.scope_spans
    )


def _points(body: bytes) -> int:
    request = metrics_service_pb2.ExportMetricsServiceRequest.FromString(body)
    points = 0
    for resource in request.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                kind = metric.WhichOneof("data")
                if kind is not None:
                    points += len(getattr(metric, kind).data_points)
    return points


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the exporter's requests session expects

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        answer: Any
        if self.path == "/v1/traces":
            counted, answer = (
                ("spans", _spans(body)),
                trace_service_pb2.ExportTraceServiceResponse(),
            )
        elif self.path == "/v1/metrics":
            counted = ("metric_points", _points(body))
            answer = metrics_service_pb2.ExportMetricsServiceResponse()
        else:
            counted, answer = ("refused", 1), None
        with _LOCK:
            COUNTS["requests"] += 1
            COUNTS["bytes"] += len(body)
            COUNTS[counted[0]] += counted[1]
        payload = answer.SerializeToString() if answer is not None else b""
        self.send_response(200 if answer is not None else 404)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per export would only add to the machine's load


@dataclass
class Received:
    counts: dict[str, int]
    cpu_seconds: float  # the receiver's own, which a deployment spends on the Collector's pods


class StandInCollector:
    """The receiver in a process of its own, on ``port``; ``endpoint`` goes into the exporting
    processes' ``OTEL_EXPORTER_OTLP_ENDPOINT``. Stop it after them: they flush on their way out."""

    def __init__(self, port: int) -> None:
        self.endpoint = f"http://127.0.0.1:{port}"
        self._counts = Path(tempfile.mkdtemp(prefix="otlp-sink-")) / "counts.json"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.otlp_sink", str(port), str(self._counts)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self._process.kill()
        raise RuntimeError("the stand-in collector did not start")

    def stop(self) -> Received:
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        self._process.terminate()
        self._process.wait(timeout=30)
        counts = json.loads(self._counts.read_text())
        self._counts.unlink()
        self._counts.parent.rmdir()
        return Received(counts=counts, cpu_seconds=cpu)


def main() -> None:
    port, counts_file = int(sys.argv[1]), sys.argv[2]
    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)

    def stop(*_: object) -> None:
        # shutdown() waits for serve_forever, which runs on this thread: from another.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()
    with open(counts_file, "w") as out:
        json.dump(COUNTS, out)


if __name__ == "__main__":
    main()
