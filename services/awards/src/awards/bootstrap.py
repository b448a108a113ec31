"""What an awards process needs, built once here and handed to whatever runs in it: the
settings, the programmes and the Temporal client. Routes read them through ``api.deps``
(the app factory puts them on ``app.state``), the consumer's handlers and the workflow's
activities receive them as arguments; nothing else builds them.

Each role's pool is built by its shared role runner (``shared.service``): the API's lifespan,
the consumer and the worker. The worker's Temporal client is the worker role's own (its
activities reach Temporal through ``activity.client()``).
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from temporalio.client import Client

from awards.config import AwardsSettings
from awards.handlers.rewards.finance import Outbox
from shared.programmes.catalogue import ProgrammeCatalogue, stop_serving
from shared.service.entrypoints import configure_logging, consumer_role
from shared.settings import ServiceSettings
from shared.telemetry import setup_telemetry
from shared.temporal import connect_temporal

# How long a request waits for Temporal before it answers 503 (retry with the same key).
API_TEMPORAL_TIMEOUT_SECONDS = 10.0


def settings() -> AwardsSettings:
    """The deployment's settings, from the environment (``AWARDS_*``)."""
    return AwardsSettings()


def programmes(settings: ServiceSettings) -> ProgrammeCatalogue:
    """The process's programmes: the files, laid over with the newer revisions the consumer
    keeps (``refresh``, ``start_refresher`` / ``kept_current``); docs/programmes.md."""
    return ProgrammeCatalogue.from_files(settings.programmes_dir)


async def start_api(app: FastAPI, settings: ServiceSettings) -> None:
    """The API's programmes, current as it starts and kept current on its pool."""
    catalogue = programmes(settings)
    await catalogue.serve_current(app.state, settings.programme_refresh_seconds)
    app.state.programmes = catalogue


async def stop_api(app: FastAPI) -> None:
    await stop_serving(app.state)


class TemporalConnection:
    """The process's one Temporal client, connected on first use and then kept: the API's
    reads and refusals never wait on Temporal, and the consumer connects on the first event
    that needs it, never at import. A failed connection is tried again by the next caller."""

    def __init__(
        self,
        target: str,
        *,
        namespace: str = "default",
        timeout_seconds: float | None = None,
        client: Client | None = None,
    ) -> None:
        self.target = target
        self.namespace = namespace
        self.timeout_seconds = timeout_seconds
        self._client = client
        self._lock = asyncio.Lock()

    @classmethod
    def connected(cls, client: Client) -> TemporalConnection:
        """An already connected client (a test's server)."""
        return cls(client.service_client.config.target_host, client=client)

    async def __call__(self) -> Client:
        if self._client is not None:  # connected: no lock taken per request
            return self._client
        async with self._lock:
            if self._client is None:
                self._client = await asyncio.wait_for(
                    connect_temporal(self.target, namespace=self.namespace),
                    timeout=self.timeout_seconds,
                )
        return self._client


def temporal(
    settings: ServiceSettings, *, timeout_seconds: float | None = None
) -> TemporalConnection:
    return TemporalConnection(
        settings.temporal_target,
        namespace=settings.temporal_namespace,
        timeout_seconds=timeout_seconds,
    )


def consumer(settings: ServiceSettings) -> None:
    """``python -m awards consumer``: the handler table with this process's Temporal client
    and programmes, kept current while it runs."""
    configure_logging()
    setup_telemetry(settings.service_name)
    asyncio.run(consumer_process(settings))


async def consumer_process(settings: ServiceSettings) -> None:
    # The consumer's modules load only for its role (an API or worker process never needs them).
    from awards.consumers.handlers import TOPICS, handlers

    catalogue = programmes(settings)
    async with catalogue.kept_current(settings.database_url, settings.programme_refresh_seconds):
        table = handlers(temporal(settings), programmes=catalogue, outbox=Outbox.of(settings))
        await consumer_role(settings, TOPICS, table)
