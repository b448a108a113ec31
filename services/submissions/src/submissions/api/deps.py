"""FastAPI dependencies of the submissions API (``Annotated`` aliases). ``async`` so FastAPI
calls them inline rather than on its thread pool (a hop per dependency, per request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from submissions.handlers.common import Context


async def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def get_context(request: Request) -> Context:
    context: Context = request.app.state.context
    return context


async def get_now(request: Request) -> dt.datetime:
    """The current instant; tests and the benchmark set ``app.state.clock`` to a fixed one."""
    clock: Callable[[], dt.datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else dt.datetime.now(dt.UTC)


Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
Ctx = Annotated[Context, Depends(get_context)]
Now = Annotated[dt.datetime, Depends(get_now)]
