"""Temporal clients as every service builds them (pydantic payloads and tracing), and the one
scheme of workflow ids.

The ``TracingInterceptor`` carries the caller's trace into workflow and activity spans, so a
trace continues from an HTTP request or a Kafka event into the workflows it starts.

``connect_temporal`` is the only way the project builds a client; the readiness probe
(``shared.service.health``) uses it too.
"""

from __future__ import annotations

import re

from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


async def connect_temporal(target: str, *, namespace: str = "default") -> Client:
    return await Client.connect(
        target,
        namespace=namespace,
        data_converter=pydantic_data_converter,
        interceptors=[TracingInterceptor()],
    )


def workflow_id(service: str, kind: str, key: str) -> str:
    """``<service>-<kind>-<key>``: one workflow per business object, named after it, so that
    starting it twice (a retried request, a redelivered event) reaches the same workflow, and
    the ids of two services never meet in one namespace. ``service`` and ``kind`` are
    lower-case words joined by hyphens (``awards``, ``application``; ``submissions``,
    ``window-clock``); ``key`` is the object's own id, as it is."""
    for part, value in (("service", service), ("kind", kind)):
        if not _NAME.match(value):
            raise ValueError(f"workflow id {part} {value!r}: lower-case words joined by hyphens")
    if not key:
        raise ValueError("workflow id key: empty")
    return f"{service}-{kind}-{key}"
