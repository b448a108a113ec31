"""Temporal clients as every service builds them (pydantic payloads and tracing), and the one
scheme of workflow ids.

The ``TracingInterceptor`` carries the caller's trace into workflow and activity spans, so a
trace continues from an HTTP request or a Kafka event into the workflows it starts.

``connect_temporal`` is the only way the project builds a client; the readiness probe
(``shared.service.health``) uses it too.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import temporalio.api.common.v1
from pydantic import TypeAdapter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


@functools.lru_cache(maxsize=1024)
def _adapter(type_hint: Any) -> TypeAdapter[Any]:
    return TypeAdapter(type_hint)


class _CachedAdaptersJSONConverter(PydanticJSONPlainPayloadConverter):
    """temporalio's pydantic converter, with each type's ``TypeAdapter`` built once.

    temporalio builds a new ``TypeAdapter`` (a schema to build and compile) for every payload
    it decodes: about 2 % of the awards worker's CPU. Payloads are written exactly as before
    (``to_payload`` is inherited). The cache is bounded: the workflow sandbox imports a
    workflow's modules afresh per run, so the same model can arrive as many class objects."""

    def from_payload(
        self, payload: temporalio.api.common.v1.Payload, type_hint: type | None = None
    ) -> Any:
        hint: Any = Any if type_hint is None else type_hint
        try:
            adapter = _adapter(hint)
        except TypeError:  # a hint that cannot be a cache key (unhashable)
            adapter = TypeAdapter(hint)
        return adapter.validate_json(payload.data)


class _PayloadConverter(CompositePayloadConverter):
    def __init__(self) -> None:
        json_converter = _CachedAdaptersJSONConverter()
        super().__init__(
            *(
                json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


# The same payloads as ``temporalio.contrib.pydantic.pydantic_data_converter``.
data_converter = DataConverter(payload_converter_class=_PayloadConverter)


async def connect_temporal(target: str, *, namespace: str = "default") -> Client:
    return await Client.connect(
        target,
        namespace=namespace,
        data_converter=data_converter,
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
