"""What each registry process builds once, and hands down: the settings, the GB/T 2260 region
tree, the programmes, the database pool, and from them the ``Context`` every use case takes.

The API's pool comes from the shared service skeleton's lifespan (``shared.service.app``);
the consumer's from the shared consumer role; the importer's from ``run_importer`` here.
Nothing below this module builds any of them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import astuple
from pathlib import Path

from fastapi import FastAPI

from registry.bulk.importer import Importer
from registry.config import RegistrySettings
from registry.data.regions import load_country_regions
from registry.db.regions import sync_regions
from registry.domain.regions import RegionTree
from registry.handlers.common import Context, Pool
from registry.handlers.revisions import FileRevision, record_file
from shared.db.pool import close_pool, create_pool
from shared.programmes import read_programme_files
from shared.programmes.catalogue import ProgrammeCatalogue, stop_serving
from shared.service.liveness import Heartbeat, liveness_endpoint

log = logging.getLogger("registry")


def load_settings() -> RegistrySettings:
    """The settings from the environment (``REGISTRY_`` variables)."""
    return RegistrySettings()


def load_regions() -> RegionTree:
    return RegionTree(load_country_regions())


def context(
    settings: RegistrySettings,
    pool: Pool,
    regions: RegionTree,
    programmes: ProgrammeCatalogue | None = None,
) -> Context:
    return Context(
        pool=pool,
        regions=regions,
        programmes=programmes or ProgrammeCatalogue.from_files(settings.programmes_dir),
        topic_prefix=settings.kafka_topic_prefix,
        event_source=settings.event_source,
    )


async def start_api(app: FastAPI) -> None:
    """The API's parts, once its lifespan has opened the pool (``api.deps`` reads them): the
    programmes as recorded (the files, then the newer revisions), refreshed while it runs."""
    settings: RegistrySettings = app.state.settings
    programmes = ProgrammeCatalogue.from_files(settings.programmes_dir)
    await programmes.serve_current(app.state, settings.programme_refresh_seconds)
    app.state.context = context(settings, app.state.pool, load_regions(), programmes)


async def stop_api(app: FastAPI) -> None:
    await stop_serving(app.state)


def migrate(settings: RegistrySettings, migrations_dir: Path) -> None:
    """The migrations, then the regions table in step with the shipped GB/T 2260 data, then
    the programme files as revisions (the first, or a new one for a changed file)."""
    from shared.service.entrypoints import run_migrate  # the process roles' module: only here

    run_migrate(settings, migrations_dir)
    count = asyncio.run(sync_regions(settings.database_url, load_country_regions()))
    log.info("regions in step with the shipped data: %d", count)
    for recorded in asyncio.run(record_programme_files(settings)):
        log.info("programme %s: revision %d from %s", *astuple(recorded))


async def record_programme_files(settings: RegistrySettings) -> list[FileRevision]:
    """Each shipped programme file as a revision when it is new or changed (docs/programmes.md,
    "Revisions"); the revisions recorded."""
    files = read_programme_files(settings.programmes_dir)
    pool = await create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        recording = context(settings, pool, load_regions(), ProgrammeCatalogue())
        recorded = []
        for file in files:
            revision = await record_file(
                recording, file.programme, file_name=file.path.name, sha256=file.sha256
            )
            if revision is not None:
                recorded.append(revision)
        return recorded
    finally:
        await close_pool(pool)


async def run_importer(settings: RegistrySettings, stop: asyncio.Event, name: str = "") -> None:
    """Claims and runs import jobs until ``stop`` is set, answering ``GET /livez`` on
    ``REGISTRY_LIVENESS_PORT`` when it is set (as the relay and consumer do)."""
    heartbeat = Heartbeat(settings.liveness_timeout_seconds)
    async with liveness_endpoint(heartbeat, settings.http_host, settings.liveness_port):
        pool = await create_pool(settings.database_url, min_size=1, max_size=3)
        try:
            importer = Importer(
                pool,
                settings,
                load_regions(),
                name or f"{socket.gethostname()}:{os.getpid()}",
                on_progress=heartbeat.beat,
            )
            await importer.run(stop)
        finally:
            await close_pool(pool)
