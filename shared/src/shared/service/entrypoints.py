"""Process entrypoints shared by the services: ``api``, ``relay``, ``consumer``, ``migrate``.

Each service's ``__main__`` picks the role from ``argv`` and passes its own settings and parts.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import asyncpg
import uvicorn
from fastapi import FastAPI

from shared.audit.checkpoint import auditor_loop
from shared.audit.retention import ensure_partitions
from shared.db.grants import grant_app_role
from shared.db.migrate import migrate
from shared.db.pool import close_pool, create_pool
from shared.events import default_catalog
from shared.http.redaction import install_log_redaction
from shared.messaging.consumer import ConsumerSettings, Handler, IdempotentConsumer
from shared.messaging.kafka import RELAY_LINGER_MS, KafkaSecurity, create_consumer, create_producer
from shared.messaging.relay import OutboxRelay
from shared.service.heap import frozen_startup_heap
from shared.service.liveness import Heartbeat, liveness_endpoint
from shared.service.one_write import OneWriteHttpToolsProtocol
from shared.settings import ServiceSettings
from shared.telemetry import setup_telemetry

log = logging.getLogger(__name__)


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    install_log_redaction()


def stop_event_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


def exit_through_python_on_sigterm() -> None:
    """uvicorn stops gracefully on SIGTERM, then puts back the handler it found and raises the
    signal again. With the default handler the process died there, before the interpreter's exit
    hooks ran: the OpenTelemetry SDK's queued spans (up to 5 s of them) and its metrics since the
    last export (up to a minute) were lost at every rollout and scale-down. With this one the
    signal ends the process through ``SystemExit``; the SDK's hooks send them on the way out.
    Exit status 0: a stop asked for and done in order is not a failure."""
    signal.signal(signal.SIGTERM, _exit_cleanly)


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def run_api(settings: ServiceSettings, app_factory: Callable[[ServiceSettings], FastAPI]) -> None:
    configure_logging()
    setup_telemetry(settings.service_name)
    app = app_factory(settings)
    app.state.freeze_heap_on_start = True  # shared.service.heap: no full collection walks it
    exit_through_python_on_sigterm()
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level="info",
        proxy_headers=True,
        http=OneWriteHttpToolsProtocol,  # a response's head and body in one write
    )


def run_migrate(settings: ServiceSettings, migrations_dir: Path) -> None:
    configure_logging()
    applied = migrate(settings.database_url, migrations_dir)
    log.info("%s: applied %d migrations %s", settings.service_name, len(applied), applied)
    asyncio.run(_as_owner(settings))


async def _as_owner(settings: ServiceSettings) -> None:
    """What needs the owner after migrating, at every deploy: the audit trail's monthly
    partitions ahead (the services' role may not make them), and the app role's grants."""
    connection = await asyncpg.connect(settings.database_url)
    try:
        made = await ensure_partitions(connection)
        log.info("%s: %d audit partitions made ahead", settings.service_name, made)
        if settings.database_app_role:
            await grant_app_role(connection, settings.database_app_role)
            log.info("%s: granted %s", settings.service_name, settings.database_app_role)
    finally:
        await connection.close()


async def relay_role(settings: ServiceSettings, stop: asyncio.Event | None = None) -> None:
    """The relay process: publishes the outbox until ``stop`` (SIGTERM/SIGINT by default)."""
    stop = stop or stop_event_on_signals()
    heartbeat = Heartbeat(settings.liveness_timeout_seconds)
    async with liveness_endpoint(heartbeat, settings.http_host, settings.liveness_port):
        pool = await create_pool(settings.database_url, min_size=1, max_size=2)
        audit_pool = await create_pool(settings.database_url, min_size=1, max_size=1)
        producer = create_producer(
            settings.kafka_bootstrap_servers,
            client_id=f"{settings.service_name}-relay",
            security=KafkaSecurity.of(settings),
            linger_ms=RELAY_LINGER_MS,
        )
        await producer.start()
        try:
            relay = OutboxRelay(
                pool=pool,
                producer=producer,
                dsn=settings.database_url,
                batch_size=settings.outbox_batch_size,
                poll_interval_seconds=settings.outbox_poll_interval_seconds,
                retention_days=settings.outbox_retention_days,
                purge_interval_seconds=settings.outbox_purge_interval_seconds,
                retry_initial_seconds=settings.outbox_retry_initial_seconds,
                retry_max_seconds=settings.outbox_retry_max_seconds,
                on_progress=heartbeat.beat,
            )
            log.info("%s relay started", settings.service_name)
            # The audit chain's checkpoints and partitions ahead ride along with the relay:
            # they go out through the outbox it publishes (shared.audit.checkpoint).
            auditor = asyncio.create_task(auditor_loop(audit_pool, settings, stop))
            try:
                await relay.run(stop)
            finally:
                stop.set()
                await auditor
        finally:
            await producer.stop()
            await close_pool(pool)
            await close_pool(audit_pool)


def run_relay(settings: ServiceSettings) -> None:
    configure_logging()
    setup_telemetry(settings.service_name)
    asyncio.run(relay_role(settings))


async def consumer_role(
    settings: ServiceSettings,
    topics: Iterable[str],
    handlers: Mapping[str, Handler],
    stop: asyncio.Event | None = None,
) -> None:
    """The consumer process: handles its topics until ``stop`` (SIGTERM/SIGINT by default)."""
    stop = stop or stop_event_on_signals()
    heartbeat = Heartbeat(settings.liveness_timeout_seconds)
    async with liveness_endpoint(heartbeat, settings.http_host, settings.liveness_port):
        await _consume(settings, topics, handlers, stop, heartbeat)


async def _consume(
    settings: ServiceSettings,
    topics: Iterable[str],
    handlers: Mapping[str, Handler],
    stop: asyncio.Event,
    heartbeat: Heartbeat,
) -> None:
    pool = await create_pool(settings.database_url, min_size=1, max_size=4)
    physical_topics = [settings.topic(topic) for topic in topics]
    kafka_consumer = create_consumer(
        *physical_topics,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        security=KafkaSecurity.of(settings),
    )
    producer = create_producer(
        settings.kafka_bootstrap_servers,
        client_id=f"{settings.service_name}-dlq",
        security=KafkaSecurity.of(settings),
    )
    await producer.start()
    await kafka_consumer.start()
    try:
        consumer = IdempotentConsumer(
            settings=ConsumerSettings(
                name=settings.service_name,
                topic_prefix=settings.kafka_topic_prefix,
                max_attempts=settings.consumer_max_attempts,
                backoff_initial_seconds=settings.consumer_backoff_initial_seconds,
                backoff_max_seconds=settings.consumer_backoff_max_seconds,
            ),
            pool=pool,
            consumer=kafka_consumer,
            dead_letter_producer=producer,
            catalog=default_catalog(),
            handlers=handlers,
            on_progress=heartbeat.beat,
        )
        log.info(
            "%s consumer on %s handles %s",
            settings.service_name,
            physical_topics,
            consumer.handled_types,
        )
        # What it holds lives as long as the consumer: no full collection walks it; thawed
        # when it stops, so a process that goes on (a test) is left as it was.
        with frozen_startup_heap():
            await consumer.run(stop)
    finally:
        await kafka_consumer.stop()
        await producer.stop()
        await close_pool(pool)


def run_consumer(
    settings: ServiceSettings, topics: Iterable[str], handlers: Mapping[str, Handler]
) -> None:
    configure_logging()
    setup_telemetry(settings.service_name)
    asyncio.run(consumer_role(settings, topics, handlers))


def _load(reference: str) -> object:
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def service_roles(
    settings: ServiceSettings,
    *,
    migrations_dir: Path,
    app_factory: str,
    consumer_module: str | None = None,
    worker_module: str | None = None,
) -> dict[str, Callable[[], None]]:
    """The roles every service has (``api``, ``relay``, ``migrate``), ``consumer`` when it
    names a module with ``TOPICS`` and ``handlers()``, and ``worker`` when it names a module
    with ``TASK_QUEUE``, ``WORKFLOWS`` and ``activities()`` (``shared.service.worker``).
    Modules load only for the role run."""

    def api() -> None:
        run_api(settings, _load(app_factory))  # type: ignore[arg-type]

    def consumer() -> None:
        module = _load(consumer_module or "")
        run_consumer(settings, module.TOPICS, module.handlers())  # type: ignore[attr-defined]

    roles: dict[str, Callable[[], None]] = {
        "api": api,
        "relay": lambda: run_relay(settings),
        "migrate": lambda: run_migrate(settings, migrations_dir),
    }
    if consumer_module is not None:
        roles["consumer"] = consumer
    if worker_module is not None:
        roles["worker"] = lambda: run_worker(settings, worker_module)
    return roles


def run_worker(settings: ServiceSettings, worker_module: str) -> None:
    from shared.service.worker import worker_role  # temporalio's worker loads only here

    configure_logging()
    setup_telemetry(settings.service_name)

    async def run() -> None:
        await worker_role(settings, _load(worker_module), stop_event_on_signals())  # type: ignore[arg-type]

    asyncio.run(run())


def dispatch(argv: list[str], roles: Mapping[str, Callable[[], None]]) -> None:
    """Run the role named in ``argv[1]`` (``python -m <service> <role>``)."""
    if len(argv) != 2 or argv[1] not in roles:
        raise SystemExit(f"usage: python -m <service> {{{','.join(roles)}}}")
    roles[argv[1]]()
