"""FastAPI dependencies of the submissions API (``Annotated`` aliases): what ``bootstrap`` and
the app factory built, read from the app's state here and nowhere else. ``async`` so FastAPI
calls them inline rather than on its thread pool (a hop per dependency, per request)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shared.http.clock import Now
from submissions.config import SubmissionsSettings
from submissions.handlers import common

__all__ = ["Ctx", "Now", "Pool", "Settings", "get_context", "get_pool", "get_settings"]


async def get_pool(request: Request) -> common.Pool:
    pool: common.Pool = request.app.state.pool
    return pool


async def get_context(request: Request) -> common.Context:
    context: common.Context = request.app.state.context
    return context


async def get_settings(request: Request) -> SubmissionsSettings:
    settings: SubmissionsSettings = request.app.state.settings
    return settings


Pool = Annotated[common.Pool, Depends(get_pool)]
Ctx = Annotated[common.Context, Depends(get_context)]
Settings = Annotated[SubmissionsSettings, Depends(get_settings)]
