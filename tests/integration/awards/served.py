"""The awards API and its worker on one Temporal client (the time-skipping server), the API's
clock pinned, reached in process through httpx."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
from fastapi import FastAPI
from temporalio.client import Client

from awards.api.app import create_app
from awards.bootstrap import TemporalConnection
from awards.config import AwardsSettings
from awards.workflows.worker import build_worker
from shared.programmes import load_programmes
from tests.integration.awards.conftest import PROGRAMMES


@contextlib.asynccontextmanager
async def served_awards(
    settings: AwardsSettings,
    client: Client,
    pool: asyncpg.Pool,
    clock: Callable[[], dt.datetime],
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    app = create_app(settings, temporal=TemporalConnection.connected(client))
    async with app.router.lifespan_context(app):
        app.state.clock = clock
        async with build_worker(
            client,
            pool,
            topic_prefix="t.",
            task_queue=settings.task_queue,
            programmes=load_programmes(PROGRAMMES),
        ):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://awards") as http:
                yield http, app
