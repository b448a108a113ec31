"""The benchmarks' stand-in Collector: the SDK's own OTLP/HTTP exporters, as a deployed API
configures them, export to it successfully, and it counts what they sent once it stops."""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from benchmarks.common import free_port
from benchmarks.otlp_sink import StandInCollector


def test_the_sdks_exports_are_accepted_and_counted() -> None:
    collector = StandInCollector(free_port())
    try:
        recorded = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(recorded))
        tracer = tracer_provider.get_tracer("test")
        for n in range(3):
            with tracer.start_as_current_span(f"span-{n}"):
                pass
        spans = OTLPSpanExporter(endpoint=f"{collector.endpoint}/v1/traces")
        assert spans.export(recorded.get_finished_spans()) is SpanExportResult.SUCCESS

        reader = InMemoryMetricReader()
        counter = MeterProvider(metric_readers=[reader]).get_meter("test").create_counter("c")
        counter.add(1, {"route": "a"})
        counter.add(1, {"route": "b"})
        data = reader.get_metrics_data()
        assert data is not None
        metrics = OTLPMetricExporter(endpoint=f"{collector.endpoint}/v1/metrics")
        assert metrics.export(data) is MetricExportResult.SUCCESS
    finally:
        received = collector.stop()
    assert received.counts == {
        "requests": 2,
        "bytes": received.counts["bytes"],
        "spans": 3,
        "metric_points": 2,
        "refused": 0,
    }
    assert received.counts["bytes"] > 0
    assert received.cpu_seconds >= 0
