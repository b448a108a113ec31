"""A trace continues from the caller into the workflow and its activity (real Temporal)."""

from __future__ import annotations

import uuid

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.worker import Worker

from shared.temporal import connect_temporal
from tests.integration.temporal_echo import EchoWorkflow, echo
from tests.support.stack import Stack


async def test_workflow_and_activity_spans_join_the_callers_trace(
    stack: Stack, span_exporter: InMemorySpanExporter
) -> None:
    client = await connect_temporal(stack.temporal_target)
    task_queue = f"tracing-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[EchoWorkflow], activities=[echo]):
        with trace.get_tracer("test").start_as_current_span("POST /v1/applications") as span:
            trace_id = span.get_span_context().trace_id
            result = await client.execute_workflow(
                EchoWorkflow.run, "申报", id=f"echo-{uuid.uuid4()}", task_queue=task_queue
            )
    assert result == "申报"
    names = {s.name for s in span_exporter.get_finished_spans() if s.context.trace_id == trace_id}
    assert "StartWorkflow:EchoWorkflow" in names
    assert "RunActivity:echo" in names
