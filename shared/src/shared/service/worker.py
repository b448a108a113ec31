"""The ``worker`` role: a Temporal worker for one service's task queue.

A service names a module that defines ``TASK_QUEUE`` (str), ``WORKFLOWS`` (the workflow
classes) and ``async def activities(settings, pool) -> Sequence[Callable]`` (the activity
callables, usually bound methods of a class built with its clients), or a ``WorkerParts``: the
activities and a ``background`` task run beside the worker, with the role's Temporal client,
until the role stops (the programme catalogue kept current, the clocks reconciled with it). The
role builds the pool and the Temporal client (pydantic payloads, tracing: ``shared.temporal``),
runs the worker until SIGTERM/SIGINT, and lets running activities finish (graceful shutdown)
before it exits.

Liveness: the worker's own polling is invisible from outside, so the role beats its
``Heartbeat`` while the worker runs and the Temporal frontend answers a health check; a worker
that stopped, or a server unreachable for longer than ``LIVENESS_TIMEOUT_SECONDS``, turns
``GET /livez`` to 503 and the kubelet restarts the pod (see ``shared.service.liveness``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import asyncpg
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)

from shared import metrics
from shared.db.pool import close_pool, create_pool
from shared.service.heap import frozen_startup_heap
from shared.service.liveness import Heartbeat, liveness_endpoint
from shared.settings import ServiceSettings
from shared.temporal import connect_temporal

log = logging.getLogger(__name__)

HEALTH_CHECK_INTERVAL_SECONDS = 10.0
GRACEFUL_SHUTDOWN = dt.timedelta(seconds=30)


# Runs beside the worker until the event is set; given the role's Temporal client.
Background = Callable[[Client, asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class WorkerParts:
    activities: Sequence[Callable[..., Any]]
    background: Background | None = None


class WorkerModule(Protocol):
    TASK_QUEUE: str
    WORKFLOWS: Sequence[type]

    def activities(
        self, settings: ServiceSettings, pool: asyncpg.Pool
    ) -> Awaitable[Sequence[Callable[..., Any]] | WorkerParts]: ...


class _ActivityMetrics(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        started = time.monotonic()
        try:
            result = await super().execute_activity(input)
        except Exception as exc:  # counted, then Temporal retries it by its policy
            metrics.record_activity(
                info.activity_type, info.task_queue, time.monotonic() - started, exc
            )
            raise
        metrics.record_activity(info.activity_type, info.task_queue, time.monotonic() - started)
        return result


class ActivityMetricsInterceptor(Interceptor):
    """Every activity execution's duration and outcome (``worker.activity.*``); workflow
    failures and stuck task queues come from the Temporal server's own metrics."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityMetrics(next)


async def _beat_while_healthy(
    client: Client, worker: Worker, heartbeat: Heartbeat, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            if worker.is_running and await client.service_client.check_health():
                heartbeat.beat()
        except Exception as exc:  # the server away: no beat; liveness decides when to restart
            log.warning("Temporal health check failed: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), HEALTH_CHECK_INTERVAL_SECONDS)


async def worker_role(
    settings: ServiceSettings, module: WorkerModule | ModuleType, stop: asyncio.Event
) -> None:
    """Run the service's Temporal worker until ``stop`` is set."""
    heartbeat = Heartbeat(settings.liveness_timeout_seconds)
    async with liveness_endpoint(heartbeat, settings.http_host, settings.liveness_port):
        pool = await create_pool(settings.database_url, min_size=1, max_size=4)
        try:
            client = await connect_temporal(
                settings.temporal_target, namespace=settings.temporal_namespace
            )
            built = await module.activities(settings, pool)
            parts = built if isinstance(built, WorkerParts) else WorkerParts(list(built))
            worker = Worker(
                client,
                task_queue=module.TASK_QUEUE,
                workflows=list(module.WORKFLOWS),
                activities=list(parts.activities),
                graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
                max_cached_workflows=settings.temporal_max_cached_workflows,
                interceptors=[ActivityMetricsInterceptor()],
            )
            log.info("%s worker on task queue %s", settings.service_name, module.TASK_QUEUE)
            async with worker:
                # What the worker holds once started (modules, the sandbox's validated
                # workflow definitions, clients) lives as long as it does: frozen, a full
                # collection no longer walks it (shared.service.heap). In the application
                # steps benchmark a full collection took ≈ 200 ms of the worker's loop
                # unfrozen, ≈ 60 ms frozen. Thawed on the way out, for a process that goes on.
                with frozen_startup_heap():
                    beside: asyncio.Task[None] | None = (
                        None
                        if parts.background is None
                        else asyncio.create_task(parts.background(client, stop))
                    )
                    try:
                        await _beat_while_healthy(client, worker, heartbeat, stop)
                    finally:
                        stop.set()
                        if beside is not None:
                            await beside
        finally:
            await close_pool(pool)
