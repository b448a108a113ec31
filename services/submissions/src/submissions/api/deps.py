"""FastAPI dependencies of the submissions API (``Annotated`` aliases). ``async`` so FastAPI
calls them inline rather than on its thread pool (a hop per dependency, per request)."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from shared.http.clock import Now
from submissions.handlers.common import Context

__all__ = ["Ctx", "Now", "Pool", "get_context", "get_pool"]


async def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
Ctx = Annotated[Context, Depends(get_context)]
