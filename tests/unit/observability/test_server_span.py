"""Our server-span middleware records what OpenTelemetry's FastAPI instrumentation recorded for
the same requests: the same spans (name, kind, attributes, parent, status, events, scope) and
the same metric points (names, units, attributes, counts, buckets). The instrumentation is kept
as a development dependency for this comparison only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import Body, FastAPI, Response
from fastapi.responses import StreamingResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import Histogram, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.http.redaction import add_secret_prefixes, redact_span
from shared.service.server_span import install_server_spans

SECRET_PREFIX = "/server-span-links/"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
REQUESTS: tuple[tuple[str, str, dict[str, str], bytes | None], ...] = (
    ("GET", "/v1/things/7", {"user-agent": "probe/1"}, None),
    ("GET", "/v1/things/7?month=2026-11&county=%E5%B4%82", {}, None),
    ("GET", "/v1/things/7?sig=abc&X-Goog-Signature=def&keep=1", {}, None),
    ("GET", "/no/such/path", {}, None),
    ("GET", "/v1/things/7?limit=many", {}, None),  # 422
    ("POST", "/v1/things", {"content-type": "application/json"}, b'{"name": "a"}'),
    ("POST", "/v1/things", {"content-type": "application/json"}, b'{"nom": "a"}'),  # 422
    ("POST", "/v1/things/7", {}, None),  # 405: the path is served for GET
    ("GET", "/v1/boom", {}, None),  # an exception: a 500 from ServerErrorMiddleware
    ("GET", "/v1/unavailable", {}, None),  # a 503 returned
    ("GET", SECRET_PREFIX + "s3cr3t-token/ack", {}, None),
    ("GET", "/v1/things/eyJhbGciOi.eyJzdWIi.c2ln", {}, None),  # JWT-shaped, masked too
    ("GET", "/v1/things/8", {"traceparent": TRACEPARENT, "tracestate": "a=b"}, None),
    ("GET", "/v1/things/9", {"x-refuse": "1"}, None),  # refused before routing
    ("GET", "/assets/app.js", {}, None),  # a mount
    ("PURGE", "/v1/things/7", {}, None),  # a method outside HTTP's own
    ("GET", "/healthz", {}, None),
    ("GET", "/readyz", {}, None),
)


class Refuse:
    """A middleware that answers before the router runs (as the rate limit does)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (b"x-refuse", b"1") in scope["headers"]:
            headers = [(b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


async def asset(scope: Scope, receive: Receive, send: Send) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"//"})


def make_app() -> FastAPI:
    app = FastAPI(routes=[Mount("/assets", app=asset)])
    app.add_middleware(Refuse)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/things/{thing_id:int}")
    async def thing(thing_id: int, limit: int = 10) -> dict[str, int]:
        return {"id": thing_id, "limit": limit}

    @app.get("/v1/things/{name}")
    async def named(name: str) -> dict[str, str]:
        return {"name": name}

    @app.post("/v1/things", status_code=201)
    async def create(name: str = Body(embed=True)) -> dict[str, str]:
        return {"name": name}

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    @app.get("/v1/unavailable")
    async def unavailable() -> Response:
        return Response(status_code=503)

    @app.get(SECRET_PREFIX + "{token}/ack")
    async def ack(token: str) -> dict[str, bool]:
        return {"ok": True}

    return app


Telemetry = tuple[list[ReadableSpan], dict[str, Any]]


async def serve(instrument: str) -> Telemetry:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    app = make_app()
    if instrument == "instrumentation":
        FastAPIInstrumentor.instrument_app(
            app,
            excluded_urls="healthz,readyz",
            server_request_hook=redact_span,
            exclude_spans=["receive", "send"],
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
        )
    else:
        install_server_spans(
            app,
            excluded_urls=("healthz", "readyz"),
            request_hook=redact_span,
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
        )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test:8080") as client:
        for method, path, headers, body in REQUESTS:
            await client.request(method, path, headers=headers, content=body)
    spans = list(exporter.get_finished_spans())
    data = reader.get_metrics_data()
    assert data is not None
    metrics: dict[str, Any] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points = sorted(
                    (point_of(metric.name, point) for point in metric.data.data_points), key=repr
                )
                kind = type(metric.data).__name__
                if isinstance(metric.data, Histogram):
                    kind += str(metric.data.aggregation_temporality)
                key = f"{scope.scope.name}/{scope.scope.version}/{scope.scope.schema_url}"
                metrics[metric.name] = (key, metric.unit, metric.description, kind, points)
    tracer_provider.shutdown()
    meter_provider.shutdown()
    return spans, metrics


def point_of(name: str, point: Any) -> tuple[Any, ...]:
    return (
        sorted(point.attributes.items()),
        getattr(point, "count", None),
        getattr(point, "value", None),
        tuple(getattr(point, "explicit_bounds", None) or ()),
        # Sizes are exact; a duration is a timing.
        None if name == "http.server.duration" else getattr(point, "sum", None),
    )


def described(span: ReadableSpan) -> dict[str, Any]:
    return {
        "name": span.name,
        "kind": span.kind,
        "attributes": dict(span.attributes or {}),
        "parent": span.parent and (span.parent.trace_id, span.parent.span_id),
        "remote parent": span.parent is not None and span.parent.is_remote,
        "trace": span.context.trace_id if span.parent else None,
        "status": (span.status.status_code, span.status.description),
        "events": [
            (
                event.name,
                {k: v for k, v in (event.attributes or {}).items() if k != "exception.stacktrace"},
            )
            for event in span.events
        ],
        "scope": span.instrumentation_scope,
    }


@pytest.fixture(scope="module")
def secret_prefix() -> Iterator[None]:
    add_secret_prefixes([SECRET_PREFIX])
    yield


async def test_spans_are_those_of_the_instrumentation(secret_prefix: None) -> None:
    theirs, _ = await serve("instrumentation")
    ours, _ = await serve("ours")
    assert len(theirs) == len(REQUESTS) - 2  # healthz and readyz are not traced
    assert [described(span) for span in ours] == [described(span) for span in theirs]


async def test_metrics_are_those_of_the_instrumentation(secret_prefix: None) -> None:
    _, theirs = await serve("instrumentation")
    _, ours = await serve("ours")
    assert set(theirs) == {
        "http.server.duration",
        "http.server.active_requests",
        "http.server.request.size",
        "http.server.response.size",
    }
    assert ours == theirs


async def test_what_the_spans_say(secret_prefix: None) -> None:
    spans, _ = await serve("ours")
    by_target = {span.attributes["http.target"]: span for span in spans if span.attributes}
    ack = by_target[SECRET_PREFIX + "{token}/ack"]
    assert ack.name == f"GET {SECRET_PREFIX}{{token}}/ack"
    assert "s3cr3t" not in str(dict(ack.attributes or {}))
    signed = [span for span in spans if "sig=" in str((span.attributes or {}).get("http.url"))]
    assert signed and "abc" not in str(signed[0].attributes)
    assert by_target["/no/such/path"].name == "GET"
    boom = by_target["/v1/boom"]
    assert boom.attributes["http.status_code"] == 500
    assert [event.name for event in boom.events] == ["exception"]
    child = by_target["/v1/things/8"]
    assert child.parent is not None
    assert format(child.parent.span_id, "016x") == "b7ad6b7169203331"


async def test_a_response_without_length_records_no_size() -> None:
    """Where we differ on purpose: the instrumentation kept the last response's length on the
    middleware (one for all requests), so a response without one (a stream) recorded another
    request's size; ours records none."""
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    app = FastAPI()

    @app.get("/sized")
    async def sized() -> dict[str, str]:
        return {"a": "b"}

    @app.get("/streamed")
    async def streamed() -> StreamingResponse:
        return StreamingResponse(iter([b"a", b"b"]))

    install_server_spans(app, meter_provider=meter_provider)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        await client.get("/sized")
        await client.get("/streamed")
    data = reader.get_metrics_data()
    assert data is not None
    (sizes,) = [
        metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "http.server.response.size"
    ]
    assert [point.attributes["http.target"] for point in sizes.data.data_points] == ["/sized"]
    meter_provider.shutdown()
