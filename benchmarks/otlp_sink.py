"""A stand-in for the OpenTelemetry Collector's OTLP/HTTP receiver, for sizing what exporting
costs the process that exports.

In a deployment the Collector runs in pods of its own (``deploy/observability``), so what it does
with the data is not the API's cost; what is the API's cost is encoding the spans and metrics as
protobuf and sending them, on the SDK's export threads. This receiver answers every export as
the Collector does (200, an empty ``Export*ServiceResponse``: no partial success, which is zero
bytes on the wire) and decodes what it gets, so a run can say that the spans arrived, and how
many. It writes its counts as JSON to the file named in
its arguments when it is stopped (SIGTERM).

    python -m benchmarks.otlp_sink PORT COUNTS_FILE

``StandInCollector`` starts one from a benchmark and reads its counts and CPU when it stops.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
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


# What each OTLP/HTTP path counts, and how many of them an export holds.
_COUNTED: dict[str, tuple[str, Callable[[bytes], int]]] = {
    "/v1/traces": ("spans", _spans),
    "/v1/metrics": ("metric_points", _points),
}


def _refused(body: bytes) -> int:
    return 1


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the exporter's requests session expects

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        counted, count = _COUNTED.get(self.path, ("refused", _refused))
        number = count(body)
        with _LOCK:
            COUNTS["requests"] += 1
            COUNTS["bytes"] += len(body)
            COUNTS[counted] += number
        self.send_response(404 if counted == "refused" else 200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per export would only add to the machine's load


@dataclass
class Received:
    counts: dict[str, int]
    cpu_seconds: float  # the receiver's own, which a deployment spends on the Collector's pods

    def summary(self, reports: int) -> str:
        """What arrived and what receiving it cost, per report the exporting APIs took."""
        counts = self.counts
        return (
            f"{counts['spans']} spans ({counts['spans'] / reports:.2f} per report), "
            f"{counts['metric_points']} metric points, in {counts['requests']} requests "
            f"({counts['bytes'] / 2**20:.1f} MiB) to the stand-in Collector; its own CPU "
            f"{self.cpu_seconds / reports * 1000:.2f} ms per report (not counted above)"
        )


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
        # Imported here: the receiver's own process, which imports this module, needs none of
        # the benchmarks' clients.
        from benchmarks.registry_writes import cpu_seconds

        cpu = cpu_seconds([self._process.pid])[self._process.pid]
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
