"""FastAPI dependencies of the awards API (``Annotated`` aliases): what ``awards.bootstrap``
built and the app factory put on ``app.state`` (routes never read it themselves), and the
Idempotency-Key claim a route hands to its use case. ``async`` so FastAPI calls them inline
rather than on its thread pool (a hop per dependency, per request)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from pydantic import BaseModel
from temporalio.client import Client

from awards.bootstrap import TemporalConnection
from awards.config import AwardsSettings
from awards.handlers.common import Connection
from awards.handlers.common import Pool as DatabasePool
from awards.handlers.steps import StepTargets
from awards.handlers.updates import temporal_unavailable
from shared.http.clock import Now
from shared.http.idempotency import claim_idempotency_key, operation_id
from shared.programmes import Programme

__all__ = [
    "UNAVAILABLE",
    "Now",
    "Pool",
    "Programmes",
    "RouteClaim",
    "Settings",
    "Targets",
    "Temporal",
    "claim_key",
]


async def get_pool(request: Request) -> DatabasePool:
    pool: DatabasePool = request.app.state.pool
    return pool


async def get_settings(request: Request) -> AwardsSettings:
    settings: AwardsSettings = request.app.state.settings
    return settings


async def get_programmes(request: Request) -> Mapping[str, Programme]:
    """The live catalogue: each request reads the programmes' current revisions."""
    programmes: Mapping[str, Programme] = request.app.state.programmes
    return programmes


async def get_step_targets(request: Request) -> StepTargets:
    targets: StepTargets = request.app.state.step_targets
    return targets


async def temporal_client(request: Request) -> Client:
    """Connected on first use, so reads and refusals never wait on Temporal."""
    connection: TemporalConnection = request.app.state.temporal
    try:
        return await connection()
    except Exception as exc:
        raise temporal_unavailable() from exc


UNAVAILABLE = {503: {"description": "Temporal cannot be reached; retry later"}}

Pool = Annotated[DatabasePool, Depends(get_pool)]
Settings = Annotated[AwardsSettings, Depends(get_settings)]
Programmes = Annotated[Mapping[str, Programme], Depends(get_programmes)]
Temporal = Annotated[Client, Depends(temporal_client)]
Targets = Annotated[StepTargets, Depends(get_step_targets)]


def claim_key(
    request: Request, *, status_code: int, render: Callable[[Any], BaseModel]
) -> RouteClaim:
    """The claim of this request's Idempotency-Key, with the response the route will send
    (``render`` of the use case's result), for the use case to run before it commits."""

    return RouteClaim(request, status_code, render)


class RouteClaim:
    def __init__(
        self, request: Request, status_code: int, render: Callable[[Any], BaseModel]
    ) -> None:
        self._request = request
        self._status_code = status_code
        self._render = render
        self.operation_id = operation_id(request)
        self.body: bytes | None = None

    async def __call__(self, connection: Connection, result: Any, /) -> None:
        # Rendered once: the bytes stored with the key are the bytes ``response`` sends, where
        # FastAPI would validate and render the answer a second time on a step's hot path.
        self.body = self._render(result).model_dump_json().encode()
        await claim_idempotency_key(
            connection, self._request, status_code=self._status_code, rendered=self.body
        )

    def response(self) -> Response:
        """The answer as claimed, for a route whose use case always claims before it returns."""
        if self.body is None:
            raise RuntimeError("the use case returned without claiming its key")
        return Response(self.body, status_code=self._status_code, media_type="application/json")
