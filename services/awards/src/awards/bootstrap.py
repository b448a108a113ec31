"""The one place that builds the awards service's clients (pool, Temporal, programmes)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from temporalio.client import Client

from awards.config import AwardsSettings
from shared.db.pool import create_pool
from shared.temporal import connect_temporal


@dataclass
class Parts:
    settings: AwardsSettings
    pool: asyncpg.Pool
    temporal: Client

    async def close(self) -> None:
        await self.pool.close()


async def build(*, with_producer: bool = False, settings: AwardsSettings | None = None) -> Parts:
    settings = settings or AwardsSettings()
    pool = await create_pool(settings.database_url, min_size=1, max_size=8)
    temporal = await connect_temporal(
        settings.temporal_target, namespace=settings.temporal_namespace
    )
    return Parts(settings=settings, pool=pool, temporal=temporal)
