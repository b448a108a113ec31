"""One server span and the HTTP server metrics per request, for every API.

What it records is what OpenTelemetry's FastAPI instrumentation (0.59b0, the default, "old"
HTTP semantic conventions) recorded for us: the span's name (``GET /v1/reports/{report_id}``,
the method alone when no route matched), kind, attributes, parent (from the incoming
``traceparent`` through the global propagator), status (ERROR on a 5xx), the exception of a
failed request, and the metrics ``http.server.duration``, ``http.server.active_requests``,
``http.server.request.size`` and ``http.server.response.size`` with their units, attributes and
buckets, under the same instrumentation scope, so that dashboards, alerts and stored traces
read the same series. ``tests/unit/observability/test_server_span.py`` serves the same
requests through both and compares what they export.

It costs a fraction of the instrumentation's CPU: the route is the one Starlette's router put
in the scope (the instrumentation matched the path against every route before the router did
it again), the headers are decoded once (it decoded all of them for each of seven lookups),
and the URL is parsed only when it may hold what ``redact_url`` masks (credentials, a signed
query). A request that never reached the router (a 429, a 401 before routing, a replayed
idempotent response) or a 405 falls back to the instrumentation's own matching.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from timeit import default_timer
from typing import Any
from urllib.parse import unquote

from opentelemetry import context, metrics, propagate, trace
from opentelemetry.trace import INVALID_SPAN, SpanKind, Status, StatusCode
from opentelemetry.util.http import redact_url
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

RequestHook = Callable[[Any, Any], None]  # (span, scope), as the instrumentation's hook
# The instrumentation's scope: the collector's Prometheus exporter labels every series with it.
SCOPE_NAME = "opentelemetry.instrumentation.fastapi"
SCOPE_VERSION = "0.59b0"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.11.0"
_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
)
_ACTIVE_KEYS = ("http.method", "http.host", "http.scheme", "http.flavor", "http.server_name")
_DURATION_KEYS = ("http.status_code", "net.host.port")


def install_server_spans(
    app: Any,
    *,
    excluded_urls: Iterable[str] = (),
    request_hook: RequestHook | None = None,
    tracer_provider: trace.TracerProvider | None = None,
    meter_provider: metrics.MeterProvider | None = None,
) -> None:
    """Wrap ``app``'s middleware stack (built at its first request): the span outermost, and
    the failed request's exception recorded inside Starlette's ``ServerErrorMiddleware``, while
    the span still records (it ends with the 500 that middleware sends)."""
    build = app.build_middleware_stack
    middleware = ServerSpanMiddleware(
        None,
        excluded_urls=excluded_urls,
        request_hook=request_hook,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
    )

    def build_middleware_stack() -> ASGIApp:
        stack = build()
        if isinstance(stack, ServerErrorMiddleware):
            stack.app = _RecordException(stack.app)
        middleware.app = stack
        return middleware

    app.build_middleware_stack = build_middleware_stack


class _RecordException:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            _record(trace.get_current_span(), exc)
            raise


def _record(span: Any, exc: Exception) -> None:
    if span.is_recording():
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


class ServerSpanMiddleware:
    def __init__(
        self,
        app: Any,
        *,
        excluded_urls: Iterable[str] = (),
        request_hook: RequestHook | None = None,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        """The providers are the global ones unless given (tests give their own)."""
        self.app = app
        excluded = "|".join(excluded_urls)
        self.excluded = re.compile(excluded).search if excluded else None
        self.request_hook = request_hook
        self.all_methods = bool(
            os.environ.get("OTEL_PYTHON_INSTRUMENTATION_HTTP_CAPTURE_ALL_METHODS")
        )
        self.tracer = trace.get_tracer(
            SCOPE_NAME, SCOPE_VERSION, tracer_provider, schema_url=SCHEMA_URL
        )
        meter = metrics.get_meter(SCOPE_NAME, SCOPE_VERSION, meter_provider, schema_url=SCHEMA_URL)
        self.duration = meter.create_histogram(
            name="http.server.duration",
            unit="ms",
            description="Measures the duration of inbound HTTP requests.",
        )
        self.response_size = meter.create_histogram(
            name="http.server.response.size",
            unit="By",
            description="measures the size of HTTP response messages (compressed).",
        )
        self.request_size = meter.create_histogram(
            name="http.server.request.size",
            unit="By",
            description="Measures the size of HTTP request messages (compressed).",
        )
        self.active = meter.create_up_down_counter(
            name="http.server.active_requests",
            unit="{request}",
            description="Number of active HTTP server requests.",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start = default_timer()
        if scope["type"] != "http":
            # Lifespan passes; a websocket (none of our APIs has one) is not traced.
            return await self.app(scope, receive, send)
        headers: dict[str, list[str]] = {}
        for raw_key, raw_value in scope.get("headers") or ():
            headers.setdefault(_decode(raw_key).lower(), []).append(_decode(raw_value))
        server = scope.get("server") or ("0.0.0.0", 80)
        port = server[1]
        server_host = server[0] + (":" + str(port) if str(port) != "80" else "")
        hosts = headers.get("host")
        scheme = scope.get("scheme")
        path = scope.get("path", "")
        url = (scheme or "http") + "://" + (hosts[0] if hosts else server_host) + path
        if self.excluded is not None and self.excluded(url):
            return await self.app(scope, receive, send)

        attributes = self._request_attributes(scope, headers, server_host, port, url)
        route: str | None = None
        root_path = scope.get("root_path", "")
        method = attributes.get("http.method", "")
        ctx = None
        if trace.get_current_span() is INVALID_SPAN:
            ctx, kind = propagate.extract(headers), SpanKind.SERVER
        else:
            kind = SpanKind.INTERNAL
        span = self.tracer.start_span(name=method, context=ctx, kind=kind, attributes=attributes)
        active_attributes = {key: attributes[key] for key in _ACTIVE_KEYS if key in attributes}
        self.active.add(1, active_attributes)
        token = context.attach(trace.set_span_in_context(span, ctx))
        response_size: int | None = None
        named = False

        def name_span() -> None:
            nonlocal named
            named = True
            found = route or _route_template(scope, root_path)
            if found and span.is_recording():
                span.set_attribute("http.route", found)
            name = "HTTP" if method == "_OTHER" else method
            span.update_name(f"{name} {found}" if name and found else found or name)

        async def send_traced(message: dict[str, Any]) -> None:
            nonlocal response_size, route
            event = message["type"]
            if event == "http.response.start":
                status = message["status"]
                if status == 405 and not named:  # the router took the first partial match
                    route = _route_of(scope, root_path)
                if not named:
                    name_span()
                _set_status_code(span, attributes, status)
                for key, value in message.get("headers") or ():
                    if key.lower() == b"content-length":
                        try:
                            response_size = int(_decode(value))
                        except ValueError:
                            pass
                        break
            await send(message)
            # Ended with the response's last byte, as the instrumentation's: what runs after
            # it (a background task) is not the request's time.
            if event == "http.response.body" and not message.get("more_body", False):
                span.end()

        try:
            if self.request_hook is not None:
                try:
                    self.request_hook(span, scope)
                except Exception as exc:
                    span.record_exception(exc)
            try:
                await self.app(scope, receive, send_traced)
            except Exception as exc:
                _record(span, exc)
                raise
        finally:
            context.detach(token)
            if not named:
                name_span()
            duration = {key: attributes[key] for key in _DURATION_KEYS if key in attributes}
            duration.update(active_attributes)
            template = getattr(scope.get("route"), "path_format", None)
            if template:
                duration["http.target"] = scope.get("root_path", "") + template
            self.duration.record(max(round((default_timer() - start) * 1000), 0), duration)
            self.active.add(-1, active_attributes)
            if response_size:
                self.response_size.record(response_size, duration)
            request_size = headers.get("content-length")
            if request_size:
                try:
                    self.request_size.record(int(request_size[0]), duration)
                except ValueError:
                    pass
            if span.is_recording():
                span.end()

    def _request_attributes(
        self,
        scope: Scope,
        headers: dict[str, list[str]],
        server_host: str,
        port: Any,
        url: str,
    ) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        query = scope.get("query_string")
        if query:
            if isinstance(query, bytes):
                query = query.decode("utf8")
            url += "?" + (unquote(query) if "%" in query else query)
        if scheme := scope.get("scheme"):
            attributes["http.scheme"] = scheme
        if server_host:
            attributes["http.host"] = server_host
        if port:
            try:
                attributes["net.host.port"] = int(port)
            except ValueError:
                pass
        if flavor := scope.get("http_version"):
            attributes["http.flavor"] = flavor
        if path := scope.get("path"):
            attributes["http.target"] = path
        attributes["http.url"] = redact_url(url) if _may_hold_secrets(url) else url
        if method := scope.get("method", ""):
            method = method.upper()
            if not (self.all_methods or method in _METHODS):
                method = "_OTHER"
            attributes["http.method"] = method
        if hosts := headers.get("host"):
            attributes["http.server_name"] = ",".join(hosts)
        if (agents := headers.get("user-agent")) and agents[0]:
            attributes["http.user_agent"] = agents[0]
        client = scope.get("client")
        if client is not None:
            if client[0]:
                attributes["net.peer.ip"] = client[0]
            if client[1]:
                attributes["net.peer.port"] = int(client[1])
        return attributes


def _set_status_code(span: Any, attributes: dict[str, Any], status: Any) -> None:
    if not status:
        return
    try:
        code = int(status)
    except ValueError:
        if span.is_recording():
            span.set_status(Status(StatusCode.ERROR, f"Non-integer HTTP status: {status}"))
        return
    attributes["http.status_code"] = code
    if span.is_recording():
        span.set_attribute("http.status_code", code)
        # A 4xx is the caller's error, not the server's: the span's status stays unset.
        if code < 100 or code >= 500:
            span.set_status(Status(StatusCode.ERROR))


def _route_template(scope: Scope, root_path: str) -> str | None:
    route = scope.get("route")
    return getattr(route, "path", None) if route is not None else _route_of(scope, root_path)


def _route_of(scope: Scope, root_path: str) -> str | None:
    """The instrumentation's matching, on the scope as it arrived (a mount the router entered
    moved its ``root_path``): the first route that matches fully, else the last that matches
    partly (a path served for another method)."""
    if scope.get("root_path", "") != root_path:
        scope = {**scope, "root_path": root_path}
    found = None
    for route in scope["app"].routes:
        match, _ = Route.matches(route, scope) if isinstance(route, Route) else route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", scope.get("path"))
        if match == Match.PARTIAL:
            found = route.path
    return found


def _decode(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except ValueError:
        return value.decode("unicode_escape")


def _may_hold_secrets(url: str) -> bool:
    """Whether ``redact_url`` could change ``url``: user information before the host, or a
    signed query's parameter (spelled as is, or escaped for ``parse_qs`` to unescape)."""
    if "@" in url:
        return True
    query = url.partition("?")[2]
    return bool(query) and any(part in query for part in ("%", "+", "sig", "Signature", "AWS"))
