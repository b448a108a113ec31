"""OpenTelemetry set-up and the trace-context plumbing between HTTP, the outbox and Kafka.

Nothing is exported unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; the spans still exist, so
trace ids flow through events and into logs and stored records either way. Traces and metrics
go over OTLP/HTTP to a Collector (``deploy/observability/otel-collector.yaml``), which exposes
the metrics to Prometheus; the instruments themselves are defined in ``shared.metrics``.
Metrics are exported every 60 s (``OTEL_METRIC_EXPORT_INTERVAL`` in milliseconds changes it).

The resource names the process: ``service.name`` (``OTEL_SERVICE_NAME`` or the service),
``service.instance.id`` (one per process, so that replicas are told apart) and whatever
``OTEL_RESOURCE_ATTRIBUTES`` adds (the Deployments set ``ecom.process.role``, the pod and the
namespace).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping, Sequence

from opentelemetry import metrics, propagate, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.metrics import install_process_metrics

_PROPAGATOR = TraceContextTextMapPropagator()


def setup_telemetry(
    service_name: str,
    *,
    extra_span_processors: Sequence[SpanProcessor] = (),
    extra_metric_readers: Sequence[MetricReader] = (),
) -> TracerProvider:
    """Install a tracer and meter provider for this process (call once, from an entrypoint)."""
    resource = Resource.create(
        {
            "service.name": os.environ.get("OTEL_SERVICE_NAME", service_name),
            "service.instance.id": str(uuid.uuid4()),
        }
    )
    tracer_provider = TracerProvider(resource=resource)
    readers: list[MetricReader] = list(extra_metric_readers)
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        # Imported here so that a process without an endpoint never loads the exporter.
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    for processor in extra_span_processors:
        tracer_provider.add_span_processor(processor)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
    install_process_metrics()
    return tracer_provider


def current_trace_headers() -> dict[str, str]:
    """W3C ``traceparent``/``tracestate`` of the current span (empty when there is none)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


def context_from_headers(headers: Mapping[str, str]) -> object:
    return _PROPAGATOR.extract(carrier=dict(headers))


def kafka_headers_to_dict(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    return {key: value.decode("utf-8", "replace") for key, value in headers or ()}


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


__all__ = [
    "context_from_headers",
    "current_trace_headers",
    "current_trace_id",
    "kafka_headers_to_dict",
    "propagate",
    "setup_telemetry",
]
