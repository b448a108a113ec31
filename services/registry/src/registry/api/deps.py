"""FastAPI dependencies of the registry API (``Annotated`` aliases, as in the routes)."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from registry.config import RegistrySettings
from registry.domain.regions import RegionTree


def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def get_settings(request: Request) -> RegistrySettings:
    settings: RegistrySettings = request.app.state.settings
    return settings


def get_regions(request: Request) -> RegionTree:
    regions: RegionTree = request.app.state.regions
    return regions


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
Settings = Annotated[RegistrySettings, Depends(get_settings)]
Regions = Annotated[RegionTree, Depends(get_regions)]
