"""``/healthz`` says the process is alive; ``/readyz`` that it can serve.

An API serves from PostgreSQL alone: its writes go to the outbox, which the relay publishes
later. So only the database decides readiness; Kafka and Temporal are probed and reported
(``informational``) but an outage of either does not take every API out of the load balancer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from shared.messaging.kafka import PLAINTEXT, KafkaSecurity, create_admin_client

Check = Callable[[], Awaitable[None]]
CHECK_TIMEOUT_SECONDS = 3.0


def database_check(pool: asyncpg.Pool) -> Check:
    async def check() -> None:
        await pool.fetchval("SELECT 1")

    return check


def kafka_check(bootstrap_servers: str, security: KafkaSecurity = PLAINTEXT) -> Check:
    async def check() -> None:
        client = create_admin_client(bootstrap_servers, security=security, request_timeout_ms=2500)
        try:
            await client.start()
            await client.list_topics()
        finally:
            await client.close()

    return check


def temporal_check(target: str, namespace: str) -> Check:
    # Imported here: an API that never probes Temporal does not load temporalio. The client is
    # built like every other (shared.temporal); the probe's health call passes through neither
    # its data converter nor its interceptors, so the one builder costs nothing here.
    from temporalio.client import Client

    from shared.temporal import connect_temporal

    connected: list[Client] = []  # one connection, made on the first probe and kept

    async def check() -> None:
        if not connected:
            connected.append(await connect_temporal(target, namespace=namespace))
        await connected[0].service_client.check_health()

    return check


async def run_checks(checks: dict[str, Check]) -> dict[str, str]:
    async def one(check: Check) -> str:
        try:
            await asyncio.wait_for(check(), CHECK_TIMEOUT_SECONDS)
            return "ok"
        except Exception as exc:
            return f"failed: {type(exc).__name__}: {exc}"[:300]

    results = await asyncio.gather(*(one(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        required, informational = await asyncio.gather(
            run_checks(request.app.state.readiness_checks),
            run_checks(getattr(request.app.state, "informational_checks", {})),
        )
        ready = all(result == "ok" for result in required.values())
        return JSONResponse(
            {
                "status": "ready" if ready else "not ready",
                "checks": required,
                "informational": informational,
            },
            status_code=200 if ready else 503,
        )

    return router
