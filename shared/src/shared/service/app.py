"""The FastAPI skeleton every service's API shares.

The lifespan builds the clients (nothing connects at import); conventions are installed here
once: problem+json errors, bearer-token auth (the caller verified before its input is judged),
Idempotency-Key on POST, NUL refused in the input, a single-valued query parameter taken once,
tracing, health checks, an OpenAPI document that says all of this, and its pages
(``/docs``, ``/redoc``) served without a CDN.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, nullcontext

import asyncpg
from fastapi import APIRouter, Depends, FastAPI

from shared.auth import TokenVerifier, install_auth
from shared.db.pool import create_pool
from shared.http.body_limit import BodyLimitMiddleware, LargeBody
from shared.http.etag_middleware import RepresentationETagMiddleware
from shared.http.idempotency import IdempotencyMiddleware, PostgresIdempotencyStore
from shared.http.nul_guard import NulGuardMiddleware
from shared.http.problems import install_problem_handlers
from shared.http.rate_limit import ROUTE_CLASSES, RateLimitMiddleware, RouteClasses, parse_limit
from shared.http.redaction import add_secret_prefixes, install_log_redaction, redact_span
from shared.messaging.kafka import KafkaSecurity
from shared.service.caller_first import install_caller_first
from shared.service.docs import install_docs
from shared.service.health import database_check, health_router, kafka_check, temporal_check
from shared.service.heap import serving_api_heap
from shared.service.openapi import install_openapi
from shared.service.param_fields import remember_sequence_fields
from shared.service.query_values import single_query_values
from shared.service.route_prefix import check_route_prefixes
from shared.service.server_span import install_server_spans
from shared.settings import ServiceSettings

OnStart = Callable[[FastAPI], Awaitable[None]]


def token_verifier(settings: ServiceSettings) -> TokenVerifier:
    return TokenVerifier(
        public_key_pem=settings.jwt_public_key_pem(),
        jwks_url=settings.jwt_jwks_url,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        jwks_min_refetch_seconds=settings.jwt_jwks_min_refetch_seconds,
    )


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    check_temporal: bool = True,
    on_start: OnStart | None = None,
    on_stop: OnStart | None = None,
    idempotency_exempt: Sequence[str] = (),
    idempotency_taken_by_route: Sequence[str] = (),
    secret_paths: Sequence[str] = (),
    route_classes: RouteClasses = RouteClasses(),
    large_bodies: Sequence[LargeBody] = (),
) -> FastAPI:
    """``secret_paths``: path prefixes whose next segment is a secret (a link's token), masked
    in access logs and spans. ``route_classes``: which routes are public (no token) or bulk,
    for the rate limits. ``large_bodies``: upload routes with their own, larger body limits.
    ``idempotency_taken_by_route``: POST path patterns whose route takes its Idempotency-Key
    with its change, not reserved ahead (``shared.http.idempotency``)."""
    add_secret_prefixes(secret_paths)
    install_log_redaction()
    remember_sequence_fields()  # per parameter, not per request (shared.service.param_fields)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool: asyncpg.Pool = await create_pool(
            settings.database_url,
            min_size=settings.database_pool_min_size,
            max_size=settings.database_pool_max_size,
        )
        app.state.pool = pool
        app.state.settings = settings
        app.state.readiness_checks = {"database": database_check(pool)}
        informational = {
            "kafka": kafka_check(settings.kafka_bootstrap_servers, KafkaSecurity.of(settings))
        }
        if check_temporal:
            informational["temporal"] = temporal_check(
                settings.temporal_target, settings.temporal_namespace
            )
        app.state.informational_checks = informational
        if on_start is not None:
            await on_start(app)
        # Every route is in by now, those the service added after this factory returned too.
        check_route_prefixes(app.router.routes)
        # Set by the serving entry point (``run_api``), not in tests: a test process starts
        # hundreds of apps, and a full collection per start would cost more than it saves.
        frozen = bool(getattr(app.state, "freeze_heap_on_start", False))
        try:
            with serving_api_heap() if frozen else nullcontext():
                yield
        finally:
            if on_stop is not None:
                await on_stop(app)
            await pool.close()

    app = FastAPI(
        title=title,
        description=description,
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Every route, those included later too: a single-valued query parameter sent twice
        # is a 400 naming it, never its last value taken.
        dependencies=[Depends(single_query_values)],
    )
    install_docs(app)
    install_problem_handlers(app)
    install_auth(app, token_verifier(settings))
    install_caller_first(app)  # 401 before a body FastAPI could not parse is judged
    app.add_middleware(
        IdempotencyMiddleware,
        store_factory=lambda: PostgresIdempotencyStore(app.state.pool),
        verifier_factory=lambda: app.state.token_verifier,
        lease_seconds=settings.idempotency_lease_seconds,
        exempt_prefixes=tuple(idempotency_exempt),
        taken_by_route=tuple(idempotency_taken_by_route),
    )
    app.add_middleware(RepresentationETagMiddleware)
    app.add_middleware(NulGuardMiddleware)  # before anything stores the input
    app.add_middleware(BodyLimitMiddleware, default=settings.max_body_bytes, larger=large_bodies)
    app.add_middleware(  # outermost: a caller over its rate costs no body read, no query
        RateLimitMiddleware,
        limits={
            name: parse_limit(getattr(settings, f"rate_limit_{name}")) for name in ROUTE_CLASSES
        },
        classes=route_classes,
        verifier_factory=lambda: app.state.token_verifier,
        trusted_proxies=settings.trusted_proxies,
        storage=settings.rate_limit_storage_uri,
    )
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    install_openapi(app, idempotency_exempt)
    # One server span per request and the HTTP server metrics, as OpenTelemetry's FastAPI
    # instrumentation recorded them (without its "… http receive/send" spans), for a fraction
    # of its CPU: shared.service.server_span.
    install_server_spans(app, excluded_urls=("healthz", "readyz"), request_hook=redact_span)
    return app
