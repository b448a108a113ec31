"""Temporal clients as every service builds them: pydantic payloads and tracing.

The ``TracingInterceptor`` carries the caller's trace into workflow and activity spans, so a
trace continues from an HTTP request or a Kafka event into the workflows it starts.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter


async def connect_temporal(target: str, *, namespace: str = "default") -> Client:
    return await Client.connect(
        target,
        namespace=namespace,
        data_converter=pydantic_data_converter,
        interceptors=[TracingInterceptor()],
    )
