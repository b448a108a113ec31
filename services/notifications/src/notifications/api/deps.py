"""FastAPI dependencies of the notifications API (``Annotated`` aliases): what the app factory
built (``api/app.py``: the pool, the settings), and the request's Idempotency-Key claim.
Routes read ``request.app.state`` only through these. ``async`` so FastAPI calls them inline
rather than on its thread pool."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel

from notifications.config import NotificationsSettings
from notifications.handlers.common import BeforeCommit, Connection
from notifications.handlers.common import Pool as DatabasePool
from shared.http.idempotency import claim_idempotency_key

__all__ = ["IdempotencyKey", "Key", "Pool", "Settings"]


async def get_pool(request: Request) -> DatabasePool:
    pool: DatabasePool = request.app.state.pool
    return pool


async def get_settings(request: Request) -> NotificationsSettings:
    settings: NotificationsSettings = request.app.state.settings
    return settings


class IdempotencyKey:
    """Claims the request's Idempotency-Key (if it has one) with the response the route will
    send, inside the use case's transaction (``shared.http.idempotency``)."""

    def __init__(self, request: Request) -> None:
        self._request = request

    def claim(
        self,
        render: Callable[[Any], BaseModel],
        *,
        status_code: int,
        headers: Callable[[Any], Mapping[str, str]] | None = None,
    ) -> BeforeCommit:
        """The use case's ``before_commit``: ``render`` makes the body from what the use case
        wrote, ``headers`` the response headers that are kept with it."""

        async def claim(connection: Connection, result: Any) -> None:
            await claim_idempotency_key(
                connection,
                self._request,
                status_code=status_code,
                content=render(result).model_dump(mode="json"),
                headers=headers(result) if headers is not None else None,
            )

        return claim


async def get_key(request: Request) -> IdempotencyKey:
    return IdempotencyKey(request)


Pool = Annotated[DatabasePool, Depends(get_pool)]
Settings = Annotated[NotificationsSettings, Depends(get_settings)]
Key = Annotated[IdempotencyKey, Depends(get_key)]
