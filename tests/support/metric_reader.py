"""``shared.metrics`` rebuilt on a meter provider of a test's own, read in memory.

OpenTelemetry's global meter provider can be set only once per process, so a test that reads
the metrics the code records rebuilds ``shared.metrics`` on a provider of its own and rebuilds
it as it was afterwards."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from opentelemetry import metrics as otel_metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

import shared.metrics


def metric_reader(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryMetricReader]:
    """For a fixture: ``yield from metric_reader(monkeypatch)``."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    monkeypatch.setattr(otel_metrics, "get_meter", provider.get_meter)
    importlib.reload(shared.metrics)
    yield reader
    monkeypatch.undo()
    importlib.reload(shared.metrics)
    provider.shutdown()
